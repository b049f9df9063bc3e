"""CSV cells a spreadsheet opens as text: a leading =, +, -, @ (or a tab or carriage return)
would make Excel or Sheets run the cell as a formula (CSV injection), so it gets a quote."""


def cell(text):
    """`text` as a safe CSV cell."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

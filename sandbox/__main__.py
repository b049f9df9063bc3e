"""`python -m sandbox --port 5055`: serve the Discord sandbox (one process, threaded)."""

import argparse

from werkzeug.serving import make_server

from sandbox.app import create_app


def main(argv=None):
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description="Rolegate's local Discord sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, create_app(), threaded=True)
    print(f"Discord sandbox on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

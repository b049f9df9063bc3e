"""Behind a Procfile host's router (PROXY_COUNT=1): the client's own IP and scheme count."""

from tests.fixtures.app import csrf_from, empty_tables


def _client(app_config, proxies):
    from webapp import create_app

    empty_tables()
    app_config["LOGIN_RATE_LIMIT"] = "2 per minute"
    app_config["PROXY_COUNT"] = proxies
    return create_app(app_config).test_client()


def _login(client, ip):
    # The router terminates TLS; the browser sends its Referer as for any https form.
    headers = {"X-Forwarded-For": ip, "X-Forwarded-Proto": "https",
               "Referer": "https://localhost/login"}  # fmt: skip
    token = csrf_from(client.get("/login", headers=headers).get_data(as_text=True))
    return client.post(
        "/login", headers=headers,
        data={"email": "x@example.com", "password": "guess", "csrf_token": token},
    ).status_code  # fmt: skip


def test_the_login_limit_counts_each_client_not_the_router(app_config, redis_conn):
    client = _client(app_config, 1)
    assert [_login(client, "203.0.113.7") for _ in range(3)] == [401, 401, 429]
    # Another buyer behind the same router is not locked out by the first one.
    assert _login(client, "198.51.100.9") == 401


def test_without_proxy_count_forwarded_headers_are_not_trusted(app_config, redis_conn):
    client = _client(app_config, 0)
    assert [_login(client, f"203.0.113.{i}") for i in range(3)] == [401, 401, 429]


def test_external_urls_are_https_behind_a_tls_router(app_config, redis_conn):
    from flask import url_for

    from webapp import create_app

    app_config["PROXY_COUNT"] = 1
    app = create_app(app_config)
    seen = {}

    @app.route("/_probe_url")
    def probe():
        # What flask-dance builds OAuth redirect URLs with.
        seen["url"] = url_for("claim.show", token="t", _external=True)
        return "ok"

    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "rolegate.example"}
    assert app.test_client().get("/_probe_url", headers=forwarded).status_code == 200
    assert seen["url"] == "https://rolegate.example/claim/t"

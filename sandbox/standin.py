"""What the API stand-ins share (`sandbox/stripe`, `sandbox/paddle`): a WSGI app served from a
thread on a free port, for tests."""

import threading

from werkzeug.serving import make_server


class ServedStandIn:
    """A stand-in's app served from a thread; `state` is what the tests load it with."""

    def __init__(self, state, app, port=0):
        self.state = state
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()

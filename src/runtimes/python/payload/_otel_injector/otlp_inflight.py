"""The exports in flight and the shutdown deadline (for otlp_export): every request registers itself
and the sockets it opens, so that the exit flush can wait for them and cut those still waiting for an
answer once the deadline has passed. http.client, urllib.request and socket are imported when first
used (in the exporter's thread), not at process start."""

import threading
import time

_shutdown = {'deadline': None}
# The requests being sent right now (a _Request each, with the sockets it opened), so that the exit
# flush can wait for them and cut those still waiting for an answer once the deadline has passed.
_in_flight = set()
_in_flight_changed = threading.Condition()
_local = threading.local()


def after_fork():
    """In a forked child: the parent's requests in flight are not ours to wait for (their threads did
    not survive the fork), no shutdown is under way, and the condition's lock is a new one."""
    global _in_flight_changed
    _in_flight.clear()
    _in_flight_changed = threading.Condition()
    _shutdown['deadline'] = None


def shutdown_deadline(deadline):
    """From now on no export waits past `deadline` (time.monotonic()): the process is stopping."""
    _shutdown['deadline'] = deadline


class _Request:
    __slots__ = ('sockets',)

    def __init__(self):
        self.sockets = []


def settle_in_flight(deadline):
    """Waits until no export is in flight or `deadline` (time.monotonic()) has passed, then shuts down
    the sockets of those still in flight: their blocked connect/recv returns at once (in their own
    thread) and they fail. An export that started before shutdown_deadline() was set keeps its full
    urllib timeout otherwise, and holds its processor's lock (which force_flush waits for) all along.
    Returns how many requests were cut."""
    import socket

    with _in_flight_changed:
        while _in_flight:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            _in_flight_changed.wait(left)
        cut = list(_in_flight)
    for request in cut:
        for sock in list(request.sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass  # closed meanwhile (EBADF) or not connected: nothing to wake
    return len(cut)


def _create_connection(address, timeout=None, source_address=None, *args, **kwargs):
    """socket.create_connection for our HTTP(S) connections, with each socket registered on the
    current request before it connects (so that settle_in_flight can wake a connect or a read)."""
    import socket

    host, port = address
    error = None
    for family, kind, proto, _, sockaddr in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        request = getattr(_local, 'request', None)
        if request is not None:
            request.sockets.append(sock)
        try:
            if timeout is not None and timeout is not getattr(socket, '_GLOBAL_DEFAULT_TIMEOUT', None):
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as e:
            error = e
            sock.close()
    raise error if error is not None else OSError('getaddrinfo returned nothing for %s' % host)


def handlers(ctx):
    """urllib handlers whose connections open their sockets with _create_connection (proxies from
    the environment keep working: urllib's ProxyHandler stays in the opener)."""
    import http.client
    import urllib.request

    class HTTPConnection(http.client.HTTPConnection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = _create_connection

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(HTTPConnection, req)

    if not hasattr(urllib.request, 'HTTPSHandler'):  # a Python without ssl: http:// only
        return [HTTPHandler()]

    class HTTPSConnection(http.client.HTTPSConnection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = _create_connection

        def connect(self):
            super().connect()  # the plain socket registered above is now wrapped in TLS: register that
            request = getattr(_local, 'request', None)
            if request is not None:
                request.sockets.append(self.sock)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(HTTPSConnection, req, context=self._context)

    return [HTTPHandler(), HTTPSHandler(context=ctx)]


def timeout(configured, asked):
    """The urllib timeout of one export: the configured one, the caller's if smaller, and once
    shutdown began the time left before its deadline (at least 50 ms: the request is still tried)."""
    timeout = configured if asked is None else min(asked, configured)
    deadline = _shutdown['deadline']
    if deadline is not None:
        timeout = min(timeout, deadline - time.monotonic())
    return max(0.05, timeout)


def begin():
    """Registers the request the current thread is about to send; end() it when done."""
    _local.request = current = _Request()
    with _in_flight_changed:
        _in_flight.add(current)
    return current


def end(current):
    _local.request = None
    with _in_flight_changed:
        _in_flight.discard(current)
        _in_flight_changed.notify_all()

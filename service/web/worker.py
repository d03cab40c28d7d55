"""The gunicorn worker `make run` uses: gthread, where parked store-feed polls do not count,
and whose main loop never waits on a client.

gthread accepts a connection only while it holds fewer than worker_connections, which spreads
keep-alive clients over the worker processes (see gunicorn_conf). A long-poll parked for up to
25 s would eat that bound, so here the bound is the configured one plus the polls parked right
now: tablets waiting never stop a worker from taking other clients, and other clients are
still spread as before. The same goes for the idle kept-alive connections a worker keeps
(beyond them gthread answers `Connection: close`): a tablet's connection is idle between two
polls, so parked polls add to that allowance too.

gthread closes a connection it will not keep alive on its main loop, gracefully: half-close,
then read until the client closes, for up to 2 s. A busy client (a thousand tablet threads on
a loaded machine) leaves each such close waiting, one after another, and the main loop, which
also tells the arbiter the worker is alive, stalled past gunicorn's 60 s timeout: the
store_feed bench's WORKER TIMEOUT. Those closes run on a small thread pool of their own here.
"""

from concurrent.futures import ThreadPoolExecutor

from gunicorn.workers.gthread import ThreadWorker

from service.tablet import waiting

CLOSERS = 8  # threads lingering on closing connections (each waits at most 2 s)


class FeedThreadWorker(ThreadWorker):
    @classmethod
    def check_config(cls, cfg, log):
        """gthread warns when threads exceed worker_connections; here they do on purpose."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._max_keepalived = max(1, self.cfg.worker_connections - waiting.working_threads())
        self.closers = ThreadPoolExecutor(CLOSERS, thread_name_prefix="closer")

    @property
    def worker_connections(self) -> int:
        return self._worker_connections + waiting.parked_now()

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        self._worker_connections = value

    @property
    def max_keepalived(self) -> int:
        return self._max_keepalived + waiting.parked_now()

    @max_keepalived.setter
    def max_keepalived(self, value: int) -> None:
        """gthread sets its own figure in __init__; ours is set after it."""

    def finish_request(self, conn, fs):
        """As gthread's, but a connection that is not kept alive closes off the main loop."""
        if fs.cancelled() or fs.exception() is not None or fs.result():  # kept, deferred, failed
            return super().finish_request(conn, fs)
        self.nr_conns -= 1
        self.closers.submit(conn.close, graceful=True)
        return None

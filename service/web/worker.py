"""The gunicorn worker `make run` uses: gthread, where parked store-feed polls do not count.

gthread accepts a connection only while it holds fewer than worker_connections, which spreads
keep-alive clients over the worker processes (see gunicorn_conf). A long-poll parked for up to
25 s would eat that bound, so here the bound is the configured one plus the polls parked right
now: tablets waiting never stop a worker from taking other clients, and other clients are
still spread as before. Kept-alive idle connections stay bounded by the configured figure.
"""

from gunicorn.workers.gthread import ThreadWorker

from service.tablet import waiting


class FeedThreadWorker(ThreadWorker):
    @classmethod
    def check_config(cls, cfg, log):
        """gthread warns when threads exceed worker_connections; here they do on purpose."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_keepalived = max(1, self.cfg.worker_connections - waiting.working_threads())

    @property
    def worker_connections(self) -> int:
        return self._worker_connections + waiting.parked_now()

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        self._worker_connections = value

"""A JupyterHub proxy that keeps its routes in memory and proxies nothing: the Hub test drives the REST API only.

The real proxy (configurable-http-proxy, from npm) is what a class runs; the test must not depend on npm.
"""
from jupyterhub.proxy import Proxy


class MemoryProxy(Proxy):
    """Routes in a dict: enough for the Hub to spawn and stop servers."""

    should_start = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.routes: dict = {}

    async def add_route(self, routespec, target, data):
        self.routes[routespec] = {"routespec": routespec, "target": target, "data": data}

    async def delete_route(self, routespec):
        self.routes.pop(routespec, None)

    async def get_all_routes(self):
        return dict(self.routes)

"""The baseline of `make loadtest`: a bare Litestar endpoint, served by the same uvicorn command,
the same number of processes and the same options as Seing's web app. What the signer's page
costs beyond it is ours."""

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def hello() -> str:
    return "bonjour"


app = Litestar(route_handlers=[hello])

"""The web app for bench/intake_http.py, with one extra endpoint: the baseline that only parses the JSON.

Run by the benchmark as its own process: ``python bench/_intake_server.py HOME PORT``.
"""

from __future__ import annotations

import sys

import msgspec
import uvicorn
from fastapi import Request

from northstar.store import open_settings
from northstar.web.app import create_app

_decode = msgspec.json.Decoder()


def main() -> None:
    home, port = sys.argv[1], int(sys.argv[2])
    app = create_app(open_settings(home))

    @app.post("/bench/parse")
    async def parse_only(request: Request) -> dict[str, bool]:
        """The baseline: read and parse the body as the tracking endpoints do, keep nothing."""
        _decode.decode(await request.body())
        return {"success": True}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()

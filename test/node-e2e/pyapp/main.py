"""The node suite's Python app: FastAPI on uvicorn, no OpenTelemetry of its own, PID 1 in its container
(uvicorn handles SIGTERM itself). GET /work answers; with DOWNSTREAM_URL set it first calls
DOWNSTREAM_URL/work over httpx (a trace across services: Node -> Python -> Node in node.test.ts)."""
import os
import socket

import httpx
import uvicorn
from fastapi import FastAPI

DOWNSTREAM_URL = os.environ.get("DOWNSTREAM_URL", "")
app = FastAPI()


@app.get("/healthz")
async def healthz():
    return "ok"


@app.get("/work")
async def work():
    answer = {"by": socket.gethostname(), "runtime": "python"}
    if DOWNSTREAM_URL:
        async with httpx.AsyncClient(timeout=10) as client:
            res = await client.get(DOWNSTREAM_URL + "/work")
        answer["downstream"] = "%d: %s" % (res.status_code, res.text)
    return answer


if __name__ == "__main__":
    uvicorn.run(app, host="0.0.0.0", port=int(os.environ.get("PORT", "8080")), log_level="warning")

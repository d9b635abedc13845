"""The Celery client: sends argv[1] tasks, waits for every result (30 s each at most) and prints the pids that
ran them as JSON, in task order."""

import json
import logging
import sys

from tasks import work

logging.basicConfig(level=logging.INFO)
results = [work.delay(n) for n in range(int(sys.argv[1]))]
print(json.dumps([r.get(timeout=30) for r in results]), flush=True)

# An image's own sitecustomize (here in a directory of the user's PYTHONPATH, after the injector's): it must
# still run, once, in every process. Its side effect is visible to the app (GET /sitecustomize).
import os

os.environ['APP_SITECUSTOMIZE_RAN'] = os.environ.get('APP_SITECUSTOMIZE_RAN', '') + 'pythonpath;'

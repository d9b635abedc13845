"""A minimal single-file Django project served by Werkzeug's WSGI server (loopback, PORT from the environment):
GET /health and GET /echo/<word>. No OpenTelemetry import. Python 3.9 syntax."""

import os
import sys

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY='not-a-secret-test-only',
    ALLOWED_HOSTS=['127.0.0.1', 'localhost'],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=['django.middleware.common.CommonMiddleware'],
    INSTALLED_APPS=[],
    DATABASES={},
    USE_TZ=True,
)

from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def health(request):
    return HttpResponse('ok')


def echo(request, word):
    return JsonResponse({'word': word})


urlpatterns = [path('health', health), path('echo/<str:word>', echo)]

if __name__ == '__main__':
    from django.core.wsgi import get_wsgi_application
    from werkzeug.serving import run_simple

    application = get_wsgi_application()
    run_simple('127.0.0.1', int(os.environ['PORT']), application, threaded=True)
    sys.exit(0)

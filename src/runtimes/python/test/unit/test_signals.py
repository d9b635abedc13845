"""Real app processes (see test_export.py): SIGTERM and SIGINT flush, then end the process as they would
without us, in forked and multiprocessing children too."""

import json
import os
import signal
import subprocess
import textwrap

import pytest
from conftest import APP_PYTHON, app_env, ours, run_app
from process_helpers import _server_app, _start


def test_threads_of_a_forked_child_leave_sigterm_to_its_main_thread(receiver):
    """A process-directed SIGTERM goes to any thread that does not block it, and Python runs its handler only
    in the main thread: a pool worker blocked in a semaphore whose SIGTERM went to a thread of ours never
    ended (the SDK's batch processors restart their thread from an after-fork hook, in the main thread's
    mask). Every thread but the main one, in the parent and in a forked child, blocks SIGTERM and SIGINT."""
    code = textwrap.dedent("""
        import json, logging, os, sys, time
        from _otel_injector_vendor.opentelemetry import trace
        with trace.get_tracer("t").start_as_current_span("s"):
            logging.getLogger("app").warning("a record: the logs SDK and its thread exist")
        time.sleep(0.2)

        def open_threads():
            out = []
            for tid in os.listdir("/proc/self/task"):
                if int(tid) == os.getpid():
                    continue
                with open("/proc/self/task/%s/status" % tid) as f:
                    blocked = int([l.split()[1] for l in f if l.startswith("SigBlk")][0], 16)
                if not blocked & (1 << 14) or not blocked & (1 << 1):
                    out.append(tid)
            return out

        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            with trace.get_tracer("t").start_as_current_span("child"):
                logging.getLogger("app").warning("in the child")
            time.sleep(0.2)
            os.write(write, json.dumps([len(os.listdir("/proc/self/task")), open_threads()]).encode())
            os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        child = json.loads(os.read(read, 4096))
        print(json.dumps({"parent": [len(os.listdir("/proc/self/task")), open_threads()], "child": child}))
    """)
    r = run_app(code, app_env(receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY='30000', OTEL_BLRP_SCHEDULE_DELAY='30000'))
    assert r.returncode == 0 and ours(r.stderr) == [], r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out['parent'][0] >= 3 and out['child'][0] >= 3, out  # the span and log batch threads run in both
    assert out['parent'][1] == [] and out['child'][1] == [], out


def test_sigterm_flushes_then_dies_by_sigterm(receiver):
    # a long batch delay: without the flush on SIGTERM nothing would be exported
    env = app_env(receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY='60000', OTEL_METRICS_EXPORTER='none')
    p = _start(_server_app(), env)
    try:
        assert p.stdout.readline().strip() == 'ready'
        assert receiver.spans() == []
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
    finally:
        p.kill()
    assert p.returncode == -signal.SIGTERM
    assert [s.name for _, s in receiver.spans()] == ['before-sigterm']


def test_sigterm_that_misses_the_main_thread_still_ends_the_process(receiver):
    """The lost wake-up of a pool worker, made certain: the main thread waits in a multiprocessing semaphore
    (sem_wait, not woken by a signal another thread takes) and SIGTERM is taken by a thread of the app.
    Uninjected, SIGTERM's default kills the process in the kernel; with our handler standing in for it,
    only sigwatch's re-delivery to the main thread lets the handler run: flush, then death by SIGTERM."""
    code = textwrap.dedent("""
        import multiprocessing, signal, threading
        try:
            from _otel_injector_vendor.opentelemetry import trace
            with trace.get_tracer("t").start_as_current_span("before-sigterm"):
                pass
        except ImportError:  # uninjected
            pass
        lock = multiprocessing.Lock()
        lock.acquire()
        threading.Timer(0.3, lambda: signal.pthread_kill(threading.get_ident(), signal.SIGTERM)).start()
        print("ready", flush=True)
        lock.acquire()  # never released: only a signal ends this
    """)
    env = app_env(receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY='60000', OTEL_METRICS_EXPORTER='none')
    plain = _start(code, app_env(None, PYTHONPATH=None))
    p = _start(code, env)
    try:
        plain.wait(timeout=20)
        assert plain.returncode == -signal.SIGTERM  # what the app does without us
        assert p.stdout.readline().strip() == 'ready'
        p.wait(timeout=20)
    finally:
        plain.kill()
        p.kill()
    assert p.returncode == -signal.SIGTERM, p.stderr.read()
    assert [s.name for _, s in receiver.spans()] == ['before-sigterm']


@pytest.mark.parametrize('method', ['fork', 'forkserver'])
def test_sigterm_that_misses_a_multiprocessing_childs_main_thread_still_ends_it(receiver, method):
    """The same lost wake-up in a child of multiprocessing: a thread of the child takes the SIGTERM while its
    main thread waits. multiprocessing's forkserver sets the wakeup fd to none in every child it forks (after
    Python's fork hooks), so the backstop is put back from multiprocessing's own after-fork callbacks.
    Uninjected, the child dies by SIGTERM at once."""
    code = textwrap.dedent("""
        import multiprocessing, sys
        LOSE = ("import threading; threading.Timer(0.3, lambda: __import__('signal').pthread_kill("
                "__import__('threading').get_ident(), __import__('signal').SIGTERM)).start(); "
                "threading.Event().wait()")
        if __name__ == "__main__":
            p = multiprocessing.get_context(sys.argv[1]).Process(target=exec, args=(LOSE,))
            p.start()
            p.join(10)
            print("exitcode %s" % p.exitcode, flush=True)
            if p.exitcode is None:
                p.kill()
                p.join()
    """)
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'lost.py')
        with open(path, 'w') as f:
            f.write(code)
        plain = subprocess.run(
            [APP_PYTHON, path, method], env=app_env(None, PYTHONPATH=None), capture_output=True, text=True, timeout=60
        )
        env = app_env(receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY='60000', OTEL_METRICS_EXPORTER='none')
        r = subprocess.run([APP_PYTHON, path, method], env=env, capture_output=True, text=True, timeout=60)
    assert plain.stdout.strip() == 'exitcode -15', plain.stderr  # what the app does without us
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == 'exitcode -15', r.stderr


def test_sigterm_handled_by_the_app_then_reraised_like_uvicorn(receiver):
    # uvicorn: saves the handler it found, handles SIGTERM, restores it, re-raises
    extra = textwrap.dedent("""
        import signal
        saved = signal.getsignal(signal.SIGTERM)
        def graceful(signum, frame):
            print("graceful stop", flush=True)
            signal.signal(signal.SIGTERM, saved)
            signal.raise_signal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, graceful)
    """)
    p = _start(
        _server_app(extra), app_env(receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY='60000', OTEL_METRICS_EXPORTER='none')
    )
    try:
        assert p.stdout.readline().strip() == 'ready'
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
    finally:
        p.kill()
    assert p.returncode == -signal.SIGTERM
    assert p.stdout.read().strip() == 'graceful stop'
    assert [s.name for _, s in receiver.spans()] == ['before-sigterm']


def test_sigint_flushes_then_keyboardinterrupt_as_usual(receiver):
    code = textwrap.dedent("""
        import sys, time
        from _otel_injector_vendor.opentelemetry import trace
        with trace.get_tracer("t").start_as_current_span("before-sigint"):
            pass
        try:
            print("ready", flush=True)
            time.sleep(60)
        except KeyboardInterrupt:
            print("KeyboardInterrupt reached the app", flush=True)
            raise
    """)
    p = _start(code, app_env(receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY='60000', OTEL_METRICS_EXPORTER='none'))
    try:
        assert p.stdout.readline().strip() == 'ready'
        p.send_signal(signal.SIGINT)
        p.wait(timeout=20)
    finally:
        p.kill()
    assert p.stdout.read().strip() == 'KeyboardInterrupt reached the app'
    assert 'KeyboardInterrupt' in p.stderr.read()
    assert p.returncode == -signal.SIGINT  # what CPython does for an uncaught KeyboardInterrupt
    assert [s.name for _, s in receiver.spans()] == ['before-sigint']

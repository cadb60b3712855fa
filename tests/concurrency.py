"""Run work in several threads that start together: the tests of races and of jobs run at once."""

import threading
from collections.abc import Callable

from django.db import connection


def at_once(work: Callable[[int], object], count: int) -> list[BaseException]:
    """Call ``work(0)`` ... ``work(count - 1)`` in threads released together; the errors they raised.

    Each thread closes its own database connection, so a test on PostgreSQL leaves none open.
    """
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors

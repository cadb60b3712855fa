"""Counting Redis round trips: every command and every pipeline sent, by redis-py's public classes."""

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import redis


@contextmanager
def redis_round_trips() -> Iterator[list]:
    """The round trips made inside the block, each as the first argument of its command."""
    round_trips: list = []
    command, pipeline = redis.Redis.execute_command, redis.client.Pipeline.execute

    def counted(original):
        def call(self, *args, **kwargs):
            round_trips.append(args[:1])
            return original(self, *args, **kwargs)

        return call

    with (
        mock.patch.object(redis.Redis, "execute_command", counted(command)),
        mock.patch.object(redis.client.Pipeline, "execute", counted(pipeline)),
    ):
        yield round_trips

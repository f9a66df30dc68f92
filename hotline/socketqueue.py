"""The Socket.IO message queue on Redis, with a batch publish for the outbox relay.

python-socketio's RedisManager publishes one message per round trip, and on failure logs and drops it. The
socket relay instead publishes a whole batch of events in one pipelined round trip and gets an exception when
Redis is away, so the outbox rows stay undelivered and are retried. Under load this is what keeps the latency
from commit to the browser low: one round trip per relay pass, not one per event (in a busy process each I/O
wait also means waiting for the GIL again)."""

from __future__ import annotations

import socketio as python_socketio


class BatchingRedisManager(python_socketio.RedisManager):
    def publish_batch(self, events: list[tuple[str, dict, str, list[str]]]) -> None:
        """Publish (event name, data, namespace, rooms) tuples to every host, then deliver to this host's
        clients. Raises if Redis cannot take them (nothing is delivered then)."""
        messages = [
            {
                "method": "emit",
                "event": name,
                "data": [data],
                "binary": False,
                "namespace": namespace,
                "room": rooms,
                "skip_sid": None,
                "callback": None,
                "host_id": self.host_id,
            }
            for name, data, namespace, rooms in events
        ]
        if not self.connected or self.redis is None:
            self._redis_connect()
        try:
            pipe = self.redis.pipeline(transaction=False)
            for message in messages:
                pipe.publish(self.channel, self.json.dumps(message))
            pipe.execute()
        except Exception:
            self.connected = False  # reconnect on the next batch
            raise
        for message in messages:
            self._handle_emit(message)  # this host's own clients (the pubsub listener skips our host_id)

"""Fault-suite fixtures (defined in support.py, shared with the test modules' helpers)."""

from tests.faults.support import fault_redis, redis_aof, redis_volatile, workers

__all__ = ["fault_redis", "redis_aof", "redis_volatile", "workers"]

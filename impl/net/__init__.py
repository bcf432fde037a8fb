"""asyncio TCP between servers (and a fault-injecting proxy for tests)."""

"""One ZAB server per OS process: configuration, the asyncio runtime, the client port."""

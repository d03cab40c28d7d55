"""Real concurrent HTTP clients released together by a barrier."""

import threading

import requests


def race(requests_to_send: list[dict], *, clients: int = 64, timeout_s: float = 60) -> list:
    """Send the requests (kwargs for requests.request) from `clients` concurrent clients.

    Each client takes every n-th request, waits at a common barrier, then sends its share in
    turn, so the first wave really overlaps inside the server. Responses come back in order.
    """
    count = min(clients, len(requests_to_send))
    barrier = threading.Barrier(count)
    responses: list = [None] * len(requests_to_send)

    def client(first: int) -> None:
        with requests.Session() as session:
            barrier.wait(timeout=timeout_s)
            for index in range(first, len(requests_to_send), count):
                responses[index] = session.request(timeout=timeout_s, **requests_to_send[index])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    missing = [i for i, r in enumerate(responses) if r is None]
    assert not missing, f"{len(missing)} requests got no response (client error)"
    return responses

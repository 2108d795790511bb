import httpx

from bot.config import Settings


def test_healthz_answers_ok_when_the_database_does(start_server):
    server = start_server(Settings())
    r = httpx.get(f"{server.url}/healthz", timeout=5)
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_healthz_is_503_with_a_reason_when_the_database_is_gone(start_server, engine):
    server = start_server(Settings())
    engine.dispose()
    # Point the pool at a database that cannot exist.
    from storage.engine import make_engine

    server.kam.engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    r = httpx.get(f"{server.url}/healthz", timeout=10)
    assert r.status_code == 503
    assert "database unavailable" in r.json()["reason"]

"""The stores managers keep and who works where (issue 18), as stored."""

from __future__ import annotations

from bot.storage import Database, StoreRow

FESTIVAL = StoreRow(0, "Cairo Festival", "FEST", "G3", "Gate 3")


def test_a_store_name_is_taken_once_whatever_its_case(database: Database) -> None:
    added = database.stores.add(FESTIVAL, by=111)

    assert added is not None
    assert added.name == "Cairo Festival"
    assert database.stores.add(StoreRow(0, "CAIRO FESTIVAL"), by=111) is None
    assert database.stores.listed() == [added]


def test_removing_a_store_sends_whoever_worked_there_back_to_the_default(
    database: Database,
) -> None:
    added = database.stores.add(FESTIVAL, by=111)
    assert added is not None
    database.stores.choose(222, added.id)
    assert database.stores.of(222) == added

    assert database.stores.remove("Cairo Festival") == added

    assert database.stores.of(222) is None
    assert database.stores.remove("Cairo Festival") is None


def test_choosing_none_is_the_default_store(database: Database) -> None:
    added = database.stores.add(FESTIVAL, by=111)
    assert added is not None
    database.stores.choose(222, added.id)

    database.stores.choose(222, None)

    assert database.stores.of(222) is None

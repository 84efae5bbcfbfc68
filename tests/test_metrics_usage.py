"""Usage metrics on a dozen events whose every figure is worked out below; the same on PostgreSQL; rollups
maintained batch by batch equal a rollup of everything; properties on random event logs."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import ibis
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from northstar.metrics.usage import USAGE_COLUMNS, decision_maker_activity, feature_usage, sessions, usage_features
from northstar.usage.rollup import TIERS, RollupStore, tiers_from_events
from northstar.usage.store import SCHEMA, EventStore

AS_OF = date(2025, 3, 1)
# Windows as of 1 March: last day from 28 Feb, last 7 days from 22 Feb, last 30 from 30 Jan, the 30 before
# from 31 Dec, last 90 from 1 Dec 2024.
EVENTS = [
    # account, contact, user, event, timestamp
    (1, 1, "a", "login", datetime(2025, 2, 28, 10, 0)),
    (1, 1, "a", "login", datetime(2025, 2, 28, 10, 10)),  # 10 min later: same session
    (1, 1, "a", "build_dashboard", datetime(2025, 2, 28, 11, 0)),  # 50 min later: a second session
    (1, 1, "a", "search", datetime(2025, 2, 10, 9, 0)),
    (1, 2, "b", "login", datetime(2025, 1, 20, 12, 0)),  # the previous 30 days
    (1, 2, "b", "login", datetime(2025, 2, 20, 12, 0)),
    (1, None, None, "api_call", datetime(2025, 2, 25, 8, 0)),  # no user: counts as an event and a day only
    (1, 2, "b", "login", datetime(2024, 6, 1, 12, 0)),  # older than 90 days
    (2, 3, "c", "login", datetime(2024, 11, 15, 9, 0)),  # account 2's last activity
    (2, 3, "c", "login", datetime(2025, 3, 1, 0, 0)),  # on as_of itself: after the window
    (4, 5, "d", "export_csv", datetime(2025, 2, 15, 9, 0)),
    (4, 5, "d", "export_csv", datetime(2025, 2, 15, 9, 45)),  # 45 min later: a second session
]
CONTACTS = [(1, 1, "decision_maker"), (2, 1, "user"), (3, 2, "decision_maker"), (4, 3, "decision_maker")]


def events_arrow(rows=EVENTS) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {"event_id": f"e{i}", "account_id": a, "contact_id": c, "user_id": u, "event": e, "timestamp": ts}
            for i, (a, c, u, e, ts) in enumerate(rows)
        ],
        schema=SCHEMA,
    )


def contacts_arrow() -> pa.Table:
    return pa.Table.from_pylist(
        [{"contact_id": c, "account_id": a, "role": r} for c, a, r in CONTACTS],
        schema=pa.schema([("contact_id", pa.int64()), ("account_id", pa.int64()), ("role", pa.string())]),
    )


def rows_by_account(df):
    return {int(r["account_id"]): r for r in df.to_dict("records")}


def check_features(df):
    assert tuple(df.columns) == USAGE_COLUMNS
    got = rows_by_account(df)
    assert set(got) == {1, 2, 4}  # account 3 never used the product
    a1 = got[1]
    assert (a1["events_30d"], a1["events_prev_30d"], a1["events_90d"]) == (6, 1, 7)
    assert (a1["users_1d"], a1["users_7d"], a1["users_30d"], a1["users_prev_30d"], a1["users_90d"]) == (1, 1, 2, 1, 2)
    # user-days in the last 30: a on 10 and 28 Feb, b on 20 Feb -> DAU 3/30; stickiness DAU / MAU = 0.1 / 2
    assert a1["dau_30d"] == pytest.approx(0.1) and a1["stickiness"] == pytest.approx(0.05)
    assert (a1["active_days_30d"], a1["active_days_prev_30d"], a1["active_days_90d"]) == (4, 1, 5)
    # login, build_dashboard, search, api_call out of the 5 features anyone used (account 4: export_csv)
    assert a1["features_30d"] == 4 and a1["breadth_30d"] == pytest.approx(0.8)
    assert a1["days_since_active"] == 1
    assert (a1["events_trend"], a1["users_trend"], a1["active_days_trend"]) == (5.0, 1.0, 3.0)
    a2 = got[2]
    assert a2["days_since_active"] == 106  # 15 Nov 2024 to 1 Mar 2025
    assert a2["events_30d"] == a2["users_90d"] == a2["features_30d"] == 0
    assert pd.isna(a2["events_trend"])  # null: nothing before
    a4 = got[4]
    assert (a4["events_30d"], a4["users_30d"], a4["users_7d"], a4["days_since_active"]) == (2, 1, 0, 14)
    assert a4["stickiness"] == pytest.approx(1 / 30) and a4["breadth_30d"] == pytest.approx(0.2)


def check_feature_usage(df):
    got = {(int(r["account_id"]), r["event"]): r for r in df.to_dict("records")}
    assert set(got) == {(1, "api_call"), (1, "build_dashboard"), (1, "login"), (1, "search"), (4, "export_csv")}
    login = got[(1, "login")]
    assert (login["events_30d"], login["events_prev_30d"], login["account_users_30d"]) == (3, 1, 2)
    assert login["depth_30d"] == pytest.approx(1.5) and login["events_trend"] == pytest.approx(2.0)
    assert got[(1, "api_call")]["depth_30d"] == pytest.approx(0.5)  # 1 event over the account's 2 users
    assert got[(4, "export_csv")]["depth_30d"] == pytest.approx(2.0)


def check_decision_makers(df):
    got = rows_by_account(df)
    assert (got[1]["decision_makers"], got[1]["decision_makers_active_30d"], got[1]["decision_maker_days_30d"]) == (
        1,
        1,
        2,
    )
    assert got[1]["decision_maker_share_30d"] == 1.0
    assert got[2]["decision_maker_share_30d"] == 0.0 and got[3]["decision_makers_active_30d"] == 0


def check_sessions(df):
    got = rows_by_account(df)
    assert (got[1]["sessions"], got[1]["user_days"]) == (4, 3)  # a: 2 on 28 Feb, 1 on 10 Feb; b: 1
    assert got[1]["sessions_per_user_day"] == pytest.approx(4 / 3)
    assert got[4]["sessions_per_user_day"] == pytest.approx(2.0)


def run_all(con):
    events = con.create_table("events", events_arrow(), overwrite=True)
    contacts = con.create_table("contacts", contacts_arrow(), overwrite=True)
    tiers = tiers_from_events(events, AS_OF)
    check_features(usage_features(tiers, AS_OF).execute())
    check_feature_usage(feature_usage(tiers, AS_OF).execute())
    check_decision_makers(decision_maker_activity(tiers.user_day, contacts, AS_OF).execute())
    check_sessions(sessions(events, date(2025, 2, 1), AS_OF).execute())


def test_usage_by_hand():
    run_all(ibis.duckdb.connect())


def test_decision_makers_seen_only_in_the_older_60_days_count_for_90_days_only():
    con = ibis.duckdb.connect()
    events = con.create_table(
        "events",
        events_arrow(
            [
                (1, 1, "a", "login", datetime(2025, 2, 28, 10, 0)),  # account 1's decision maker, last 30 days
                (2, 3, "c", "login", datetime(2025, 1, 10, 9, 0)),  # account 2's, 50 days before: 90 only
                (2, 3, "c", "login", datetime(2024, 11, 20, 9, 0)),  # before the 90 days
            ]
        ),
    )
    tiers = tiers_from_events(events, AS_OF)
    got = rows_by_account(
        decision_maker_activity(tiers.user_day, con.create_table("contacts", contacts_arrow()), AS_OF).execute()
    )
    share = {a: (r["decision_maker_share_30d"], r["decision_maker_share_90d"]) for a, r in got.items()}
    assert share == {1: (1.0, 1.0), 2: (0.0, 1.0), 3: (0.0, 0.0)}
    assert got[2]["decision_maker_days_30d"] == 0 and got[2]["decision_makers_active_90d"] == 1


def test_usage_on_postgresql(pg_ibis):
    run_all(pg_ibis)


def split_store(tmp_path, parts):
    store = EventStore(tmp_path / "events")
    store.root.mkdir(parents=True)
    rollups = RollupStore(store, tmp_path / "rollups")
    for part in parts:
        store.write_arrow(part)
        rollups.refresh()
    return store, rollups


def stored_tiers_equal_a_rollup_of_everything(store, rollups):
    """Each tier as stored equals the same tier computed from all events at once (rows in any order)."""
    assert store.files()
    events = ibis.duckdb.connect().read_parquet([str(f) for f in store.files()])
    want = tiers_from_events(events, date(2100, 1, 1))
    for name, schema in TIERS.items():
        got = rollups.read(name)
        exp = getattr(want, name).to_pyarrow().select(schema.names).cast(schema)
        order = [(c, "ascending") for c in schema.names]
        assert got.sort_by(order).to_pylist() == exp.sort_by(order).to_pylist(), name


def test_rollups_batch_by_batch_equal_one_rollup_of_everything(tmp_path, monkeypatch):
    import northstar.usage.rollup as rollup

    monkeypatch.setattr(rollup, "STATE_FILES", 2)  # fold the users' state log often
    table = events_arrow()
    # Account 1's 28 February spans two batches: counts add up and the user and day are still one each; the
    # third batch reaches back to 2024 (history arriving late), so the days after it are recomputed.
    store, rollups = split_store(tmp_path, [table.slice(0, 2), table.slice(2, 5), table.slice(7)])
    assert rollups.refresh() == 0
    stored_tiers_equal_a_rollup_of_everything(store, rollups)
    con = ibis.duckdb.connect()
    check_features(usage_features(rollups.tiers(con, AS_OF), AS_OF).execute())
    check_feature_usage(feature_usage(rollups.tiers(con, AS_OF), AS_OF).execute())

    store.write_arrow(events_arrow([(4, 5, "d", "comment", datetime(2025, 3, 2, 9, 0))]))
    assert rollups.refresh() == 1  # only the new batch, on the newest day: the fast path
    stored_tiers_equal_a_rollup_of_everything(store, rollups)
    # the same day again: d was already seen that day (its previous day stays 15 Feb), a and a user-less
    # event are new to it
    later = [(4, 5, "d", "login", datetime(2025, 3, 2, 15)), (1, 1, "a", "login", datetime(2025, 3, 2, 16))]
    store.write_arrow(events_arrow([*later, (1, None, None, "api_call", datetime(2025, 3, 2, 17))]))
    assert rollups.refresh() == 1
    stored_tiers_equal_a_rollup_of_everything(store, rollups)
    as_of = date(2025, 3, 3)  # after the newest day: days since last activity come from the users' state
    got = rows_by_account(usage_features(rollups.tiers(con, as_of), as_of).execute())
    assert got[4]["events_30d"] == 4 and got[4]["users_1d"] == 1 and got[4]["days_since_active"] == 1
    assert got[2]["days_since_active"] == 2  # its event on 1 March

    newest = store.files()[-1]
    newest.unlink()
    rollups.refresh()  # a batch vanished: everything is rebuilt without it
    stored_tiers_equal_a_rollup_of_everything(store, rollups)
    check_features(usage_features(rollups.tiers(con, AS_OF), AS_OF).execute())
    rollups.rebuild()
    check_features(usage_features(rollups.tiers(con, AS_OF), AS_OF).execute())
    generations = {p.name.rsplit(".g", 1)[1] for p in (tmp_path / "rollups").rglob("*.arrow")}
    assert len(generations) <= 3  # older generations are swept


def reference(rows, as_of):
    """Straight from the definitions, in Python, for the property test."""

    out = {}
    for acc in {r[0] for r in rows}:
        mine = [r for r in rows if r[0] == acc and r[4].date() < as_of]
        if not mine:
            continue

        def within(days: int, before: int = 0, mine=mine) -> list:
            return [r for r in mine if as_of - timedelta(days=days + before) <= r[4].date() < as_of - timedelta(before)]

        in30, prev, in90 = within(30), within(30, 30), within(90)
        out[acc] = {
            "events_30d": len(in30),
            "events_prev_30d": len(prev),
            "events_90d": len(in90),
            **{f"users_{n}d": len({r[2] for r in within(n) if r[2]}) for n in (1, 7, 30, 90)},
            "users_prev_30d": len({r[2] for r in prev if r[2]}),
            "active_days_30d": len({r[4].date() for r in in30}),
            "active_days_prev_30d": len({r[4].date() for r in prev}),
            "active_days_90d": len({r[4].date() for r in in90}),
            "user_days_30": len({(r[2], r[4].date()) for r in in30 if r[2]}),
            "features_30d": len({r[3] for r in in30}),
            "features_60d": len({r[3] for r in within(60)}),
            "days_since_active": (as_of - max(r[4].date() for r in mine)).days,
        }
    return out


event_rows = st.lists(
    st.tuples(
        st.integers(1, 4),
        st.sampled_from(["u1", "u2", "u3", None]),
        st.sampled_from(["login", "search", "export"]),
        st.datetimes(min_value=datetime(2024, 11, 1), max_value=datetime(2025, 3, 5)),
    ),
    min_size=1,
    max_size=40,
)


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(
    rows=[
        (1, None, "login", datetime(2024, 11, 5, 0, 26)),  # no user, before the cut
        (1, "u1", "login", datetime(2024, 12, 10, 0, 30)),
        (1, None, "login", datetime(2024, 11, 27, 13, 34)),  # no user, after the cut: no previous day
    ],
    cuts=[1],
    data=None,
).via("a NULL user's prev_day once differed between the batch path and a full rollup")
@given(rows=event_rows, cuts=st.lists(st.integers(0, 40), max_size=3), data=st.data())
def test_features_match_the_definitions_in_any_order_and_split(tmp_path_factory, rows, cuts, data):
    """Events arriving in any order and any batches (late ones included), rolled up batch by batch: the
    stored tiers equal a rollup of everything, and the features equal the definitions worked in Python."""
    full = [(a, None, u, e, ts) for a, u, e, ts in rows]
    shuffled = data.draw(st.permutations(full)) if data is not None else full
    bounds = sorted({0, len(shuffled), *(min(c, len(shuffled)) for c in cuts)})
    parts = [events_arrow(shuffled[i:j]) for i, j in zip(bounds, bounds[1:], strict=False) if j > i]
    store, rollups = split_store(tmp_path_factory.mktemp("u"), parts)
    stored_tiers_equal_a_rollup_of_everything(store, rollups)
    got = rows_by_account(usage_features(rollups.tiers(ibis.duckdb.connect(), AS_OF), AS_OF).execute())
    want = reference(full, AS_OF)
    assert set(got) == set(want)
    for acc, w in want.items():
        g = got[acc]
        for k, v in w.items():
            if k != "user_days_30":
                assert g[k] == v, (acc, k)
        assert g["dau_30d"] == pytest.approx(w["user_days_30"] / 30)
        assert g["features_30d"] == w["features_30d"]


def test_catalogue_usage_on_the_store(settings, tmp_path):
    """The same events imported as files into SQLite or PostgreSQL: the catalogue's usage metrics agree with
    the hand-worked figures, and a scope keeps to its accounts."""
    from northstar.ingest.service import import_file
    from northstar.metrics.scope import Scope
    from northstar.metrics.service import compute

    (tmp_path / "a.csv").write_text(
        "external_id,name,segment\nA1,One,SMB\nA2,Two,SMB\nA3,Three,Enterprise\nA4,Four,Enterprise\n"
    )
    (tmp_path / "c.csv").write_text(
        "external_id,account,name,role\na,A1,Ann,decision_maker\nb,A1,Bob,user\nc,A2,Cy,decision_maker\n"
        "x,A3,Xi,decision_maker\nd,A4,Di,user\n"
    )
    lines = ["account,user_id,event,timestamp"]
    lines += [f"A{a},{u or ''},{e},{ts.isoformat()}Z" for a, _, u, e, ts in EVENTS]
    (tmp_path / "e.csv").write_text("\n".join(lines) + "\n")
    for kind, name in (("accounts", "a.csv"), ("contacts", "c.csv"), ("events", "e.csv")):
        import_file(settings, kind, tmp_path / name)

    last = AS_OF - timedelta(days=1)
    usage = compute(settings, "usage", last, last)
    by_ref = {r["account"]: r for r in usage.to_dict("records")}
    assert set(by_ref) == {"A1", "A2", "A4"}
    check_features(usage.assign(account_id=[int(a[1]) for a in usage.account])[list(USAGE_COLUMNS)])
    assert by_ref["A1"]["decision_maker_share_30d"] == 1.0 and by_ref["A2"]["decision_maker_share_30d"] == 0.0

    adoption = compute(settings, "feature-adoption", last, last).set_index("event")
    assert adoption.loc["login", "accounts_30d"] == 1 and adoption.loc["login", "active_accounts"] == 2
    assert adoption.loc["login", "adoption"] == pytest.approx(0.5)
    assert adoption.loc["export_csv", "depth_per_user"] == pytest.approx(2.0)

    active = compute(settings, "active-users", date(2025, 1, 1), last)
    feb = active[active.as_of == last].iloc[0]  # MAU 2 (A1) + 1 (A4); DAU (3 + 1) / 30
    assert (feb.mau, feb.wau, feb.active_accounts) == (3, 1, 2) and feb.dau == pytest.approx(4 / 30)

    sess = compute(settings, "sessions", last, last).set_index("account")
    assert sess.loc["A1", "sessions"] == 4 and sess.loc["A4", "sessions_per_user_day"] == pytest.approx(2.0)

    enterprise = compute(settings, "usage", last, last, scope=Scope(segment="Enterprise"))
    assert list(enterprise.account) == ["A4"]

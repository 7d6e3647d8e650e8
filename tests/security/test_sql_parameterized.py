"""Only parameterised queries: values travel as parameters, never inside SQL text.

The static part reads every module of ``mmt`` with :mod:`ast`:

* ``text()``, ``exec_driver_sql()`` take a string literal only;
* SQL built by f-string, ``%``, ``.format()`` or ``+`` is allowed only in
  the DuckDB query builders. They splice in column names quoted by the
  engine's ``quote`` helper and SQL fragments built the same way, and no
  placeholder there may be wrapped in quotes by hand;
* nothing else passes built text to ``execute``.

The dynamic part feeds hostile column names through the quote helper and
through an upload and analysis.
"""

from __future__ import annotations

import ast
import io
import re

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REPO

PACKAGE = REPO / "mmt"
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE|DROP TABLE|ALTER TABLE|GROUP BY)\b")
# Modules that build DuckDB queries over Parquet files from quoted column names.
QUERY_BUILDERS = ("mmt/engine/", "mmt/analyses/bin_counts.py", "mmt/ingest/pipeline.py")
# Hand-quoted placeholders known to be safe, with the reason.
KNOWN_SAFE_QUOTING = {
    # id_role is one of the constants _ID_ROLES ("obligor_id", "facility_id"), never user text.
    ("mmt/ingest/pipeline.py", 'WHERE "{id_role}" IS NOT NULL'),
}
TEXT_FUNCTIONS = {"text", "exec_driver_sql"}
EXECUTE_FUNCTIONS = {"execute", "executemany", "sql", "query"}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(REPO).as_posix(), ast.parse(path.read_text(), filename=str(path))


def literal_text(node: ast.AST) -> str:
    """The constant text of a string-building expression (placeholders as ``{name}``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                parts.append("{" + ast.unparse(value.value) + "}")
        return "".join(parts)
    if isinstance(node, ast.BinOp):
        return literal_text(node.left) + literal_text(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return literal_text(node.func.value)
    return ""


def is_built(node: ast.AST) -> bool:
    """True for text assembled at run time: f-string with placeholders, %, +, .format()."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(value, ast.FormattedValue) for value in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return bool(literal_text(node))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return isinstance(node.func.value, (ast.Constant, ast.JoinedStr))
    return False


def call_name(node: ast.Call) -> str:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return ""


def test_text_sql_literals_only():
    offenders = []
    for name, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and call_name(node) in TEXT_FUNCTIONS and node.args:
                argument = node.args[0]
                if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                    offenders.append(f"{name}:{node.lineno} {ast.unparse(node)[:120]}")
    assert not offenders, offenders


def test_built_sql_only_in_query_builders():
    offenders = []
    for name, tree in modules():
        builder = name.startswith(QUERY_BUILDERS)
        for node in ast.walk(tree):
            if is_built(node) and SQL.search(literal_text(node)) and not builder:
                offenders.append(f"{name}:{node.lineno} {literal_text(node)[:120]}")
            if isinstance(node, ast.Call) and call_name(node) in EXECUTE_FUNCTIONS and node.args:
                if is_built(node.args[0]) and not builder:
                    offenders.append(f"{name}:{node.lineno} execute({ast.unparse(node.args[0])[:100]})")
    assert not offenders, offenders


def test_built_sql_has_no_hand_quoting():
    offenders = []
    found_builders = 0
    for name, tree in modules():
        if not name.startswith(QUERY_BUILDERS):
            continue
        for node in ast.walk(tree):
            if not is_built(node):
                continue
            text = literal_text(node)
            if not SQL.search(text):
                continue
            found_builders += 1
            for match in re.finditer(r"""(['"])\{[^{}]+\}\1""", text):
                start = max(0, match.start() - 6)
                snippet = text[start:match.end() + 12]
                if not any(name == module and safe in text for module, safe in KNOWN_SAFE_QUOTING):
                    offenders.append(f"{name}:{node.lineno} {snippet}")
    assert not offenders, offenders
    assert found_builders >= 10  # the scan does see the query builders


def test_sql_checks_detect_offenders():
    bad = ast.parse('connection.execute(f"SELECT * FROM t WHERE name = \'{value}\'")')
    call = next(node for node in ast.walk(bad) if isinstance(node, ast.Call) and call_name(node) == "execute")
    assert is_built(call.args[0])
    assert SQL.search(literal_text(call.args[0]))
    assert re.search(r"""(['"])\{[^{}]+\}\1""", literal_text(call.args[0]))
    assert is_built(ast.parse('"DELETE FROM t WHERE id = %s" % x').body[0].value)
    assert not is_built(ast.parse('sa.text("SELECT 1")').body[0].value.args[0])


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(lambda name: "\x00" not in name))
def test_quote_helper_round_trip(name):
    from mmt.engine.duckdb_engine import quote

    connection = duckdb.connect()
    try:
        row = connection.execute(f"SELECT {quote(name)} FROM (SELECT 42 AS {quote(name)})").fetchall()
        columns = [column[0] for column in connection.description]
    finally:
        connection.close()
    assert row == [(42,)]
    assert columns == [name]


HOSTILE_COLUMNS = ['x"; DROP TABLE datasets; --', "' OR '1'='1", "a\"b", "sel`ect", "pd) FROM x; --"]


def test_hostile_column_names(client):
    from tests.security.test_audit import sample_bytes

    lines = sample_bytes(300).decode().splitlines()
    header = lines[0] + "," + ",".join('"' + name.replace('"', '""') + '"' for name in HOSTILE_COLUMNS)
    body = [line + "," + ",".join(str((index * (k + 3)) % 7) for k in range(len(HOSTILE_COLUMNS)))
            for index, line in enumerate(lines[1:])]
    content = ("\n".join([header] + body) + "\n").encode()
    uploaded = client.post("/api/upload/pd", data={"file": (io.BytesIO(content), "hostile.csv")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 200, uploaded.get_json()
    dataset = uploaded.get_json()["dataset"]
    for name in HOSTILE_COLUMNS:
        assert name in dataset["columns"]
    for analysis in ("pd", "woe", "stability"):
        response = client.post(f"/api/analyze/{analysis}", json={"dataset_id": dataset["id"]})
        assert response.status_code < 500, (analysis, response.get_json())
    assert client.get("/api/datasets").get_json()["total"] == 1
    assert client.get(f"/api/datasets/{dataset['id']}").status_code == 200

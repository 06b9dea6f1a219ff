"""The docs cannot go stale: every generated table is what `python -m lib.doc_tables` writes today, the README stays a
front door, and no doc names a commit."""
import re
from pathlib import Path

from lib.framework import doc_tables
from lib.framework.calibration import collect

REPO = Path(__file__).resolve().parents[1]
COMMIT = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\b")


def test_every_generated_table_is_current():
    assert doc_tables.stale() == []


def test_a_changed_record_makes_its_table_stale(tmp_path):
    """Negative control: a copy of the project whose reference run says otherwise no longer matches the docs."""
    for path in [doc_tables.REFERENCE, *(p.relative_to(REPO) for p in (REPO / doc_tables.STABILITY).glob("*.json"))]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text((REPO / path).read_text())
    for path in doc_tables.documents():
        (tmp_path / path.relative_to(REPO)).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path.relative_to(REPO)).write_text(path.read_text())
    (tmp_path / "claims").symlink_to(REPO / "claims")  # the rules' blocks read the claims
    assert doc_tables.stale(tmp_path) == []
    reference = tmp_path / doc_tables.REFERENCE
    reference.write_text(reference.read_text().replace('"verdict": "supported"', '"verdict": "inconclusive"', 1))
    assert "README.md" in doc_tables.stale(tmp_path) and "docs/results.md" in doc_tables.stale(tmp_path)


def test_every_table_has_its_block_and_every_catalogue_entry_its_claims_rule():
    text = "\n".join(path.read_text() for path in doc_tables.documents())
    names = {m["name"] for m in doc_tables.BLOCK.finditer(text)}
    assert {n for n in names if not n.startswith(doc_tables.RULE)} == set(doc_tables.TABLES)
    text = (REPO / "docs" / "claims.md").read_text()
    entries = set(re.findall(r"^#### `([a-z0-9-]+)`", text, re.M))
    blocks = {m["name"].removeprefix(doc_tables.RULE) for m in doc_tables.BLOCK.finditer(text)}
    assert entries == blocks and entries <= {claim.id for claim in collect(REPO / "claims")}


def test_a_rule_block_is_the_claims_rule_as_its_code_writes_it():
    claim = next(c for c in collect(REPO / "claims") if c.id == "lu-relu-collapse-over-90")
    block = "<!-- generated: rule-lu-relu-collapse-over-90 -->\nstale words\n<!-- end: rule-lu-relu-collapse-over-90 -->"
    assert doc_tables.regenerate(block) == block.replace("stale words", f"> **The rule.** {claim.rule.text()}")


def test_stability_counts_each_claims_verdicts_over_its_seeds():
    record = {"command": "c", "seeds": {"1": {"a": {"verdict": "supported"}, "b": {"verdict": "refuted"}},
                                        "2": {"a": {"verdict": "supported"}, "b": {"verdict": "supported"}}}}
    assert doc_tables.seed_verdicts(record) == {"a": {"1": "supported", "2": "supported"},
                                                "b": {"1": "refuted", "2": "supported"}}
    one = {"claim": "c", "seeds": {"3": {"verdict": "refuted"}}}
    assert doc_tables.seed_verdicts(one) == {"c": {"3": "refuted"}}
    assert doc_tables._ranges(["20101", "2", "1", "3", "7"]) == "1–3, 7, 20101"


def test_the_readme_is_a_front_door():
    assert len((REPO / "README.md").read_text()) <= 10_000


def test_no_doc_names_a_commit():
    found = {p.relative_to(REPO).as_posix(): COMMIT.findall(p.read_text()) for p in doc_tables.documents()}
    assert {path: tokens for path, tokens in found.items() if tokens} == {}
    assert COMMIT.findall("at 2a4261f and fb78ed1, 20101 runs, 1e-12") == ["2a4261f", "fb78ed1"]


def test_every_relative_link_in_the_docs_points_to_a_file():
    broken = []
    for path in doc_tables.documents():
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text()):
            if not re.match(r"[a-z]+:", target) and not (path.parent / target).exists():
                broken.append(f"{path.relative_to(REPO)}: {target}")
    assert broken == []

"""Search speed: building the index, and query latency with an entity filter, on both engines.

    .venv/bin/python benchmarks/search_speed.py         # quick: 20k pages on PostgreSQL, 10k on SQLite
    .venv/bin/python benchmarks/search_speed.py --full  # 1,000,000 pages on PostgreSQL, 100,000 on SQLite
    .venv/bin/python benchmarks/search_speed.py --only build --engine sqlite --rounds 9
    .venv/bin/python benchmarks/search_speed.py --full --only latency --postgresql-pages 500000

PostgreSQL is DOCASSETS_BENCH_DATABASE_URL, else the test server (postgresql+psycopg://postgres@127.0.0.1:5432/test);
the benchmark works in a database of its own and drops it.

1. Index build. The same generated documents (pages and chunks) are written into the indexed
   `search_index` table, in runs of 25 documents per transaction as the asset does, each into a
   fresh database: by docassets (`search_index_rows` and `TableStore.replace_tables`, the asset's
   code path, from the page and chunk frames), and by bare DB-API `executemany` of the same rows
   (prepared beforehand, untimed). "ours / bare" is the rate ratio (goal >= 0.9), per round of the
   two back to back; the median over the rounds (7 unless --rounds) is reported. For the
   record, the cost of the full-text index itself: bare inserts into the table with the index,
   against bare inserts into the same table without it.
2. Latency. A generated project (pages of Zipf-distributed legal words, each page mentioning a few
   of the project's entities through entity_mentions / entity_links / resolved_entities) is searched
   through `docassets.search.search` with a two-term query and an entity filter given by name;
   p50 and p95 over the queries (goal p95 < 150 ms at 1M pages on PostgreSQL).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import pandas as pd
import sqlalchemy as sa

from docassets.frames import MENTION_COLUMNS, SEARCH_INDEX_COLUMNS, search_index_rows
from docassets.search import search
from docassets.storage import tables as t
from docassets.storage.tables import SEARCH_DDL, TableStore

FULL = "--full" in sys.argv[1:]
ONLY = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None  # "build" or "latency"
# Latency is also measured at these sizes on the way to the full one (a run cut short still reports).
STEPS = (
    {"postgresql": (100_000, 250_000, 500_000), "sqlite": (25_000,)}
    if FULL
    else {"postgresql": (), "sqlite": ()}
)
PAGES = {"postgresql": 1_000_000 if FULL else 20_000, "sqlite": 100_000 if FULL else 10_000}
for _engine in PAGES:  # --postgresql-pages N / --sqlite-pages N: another size for one engine's latency run
    if f"--{_engine}-pages" in sys.argv:
        PAGES[_engine] = int(sys.argv[sys.argv.index(f"--{_engine}-pages") + 1])
BUILD_PAGES = 20_000 if FULL else 2_000
BUILD_ROUNDS = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 7
PAGES_PER_DOCUMENT = 20
DOCUMENTS_PER_RUN = 25
WORDS_PER_PAGE = 250
VOCABULARY = 20_000
# --engine sqlite / --engine postgresql: one engine only
ENGINES = [sys.argv[sys.argv.index("--engine") + 1]] if "--engine" in sys.argv else ["sqlite", "postgresql"]
QUERIES = 200 if FULL else 60
SERVER = os.environ.get("DOCASSETS_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def vocabulary() -> np.ndarray:
    syllables = [
        "con",
        "tract",
        "de",
        "fen",
        "dant",
        "au",
        "dit",
        "in",
        "sur",
        "ance",
        "ap",
        "peal",
        "ru",
        "ling",
        "mo",
        "tion",
        "dis",
        "cov",
        "ery",
        "ex",
        "hib",
        "it",
        "wit",
        "ness",
        "lia",
        "bil",
    ]
    rng = np.random.default_rng(7)
    words = {"".join(rng.choice(syllables, size=rng.integers(2, 5))) for _ in range(VOCABULARY * 3)}
    return np.array(sorted(words)[:VOCABULARY])


class Generator:
    """Pages of Zipf-distributed words; each page names two of the project's entities."""

    def __init__(self, entities: int, seed: int = 11):
        self.words = vocabulary()
        ranks = np.arange(1, len(self.words) + 1)
        self.weights = 1 / ranks
        self.weights /= self.weights.sum()
        self.rng = np.random.default_rng(seed)
        self.entities = [f"Company{n:06d} Holdings" for n in range(entities)]

    def document(self, document_id: str) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
        """Pages, chunks (two per page) and mentions of one document."""
        words = self.rng.choice(self.words, size=(PAGES_PER_DOCUMENT, WORDS_PER_PAGE), p=self.weights)
        named = self.rng.integers(0, len(self.entities), size=(PAGES_PER_DOCUMENT, 2))
        texts, mentions = [], []
        for page, (row, entities) in enumerate(zip(words, named, strict=True), start=1):
            names = [self.entities[e] for e in entities]
            text = f"{names[0]} " + " ".join(row) + f" {names[1]}"
            texts.append(text)
            for slot, entity in enumerate(entities):
                mentions.append(
                    {
                        "mention_id": f"{document_id}:{page}:{slot}",
                        "document_id": document_id,
                        "page_number": page,
                        "entity": int(entity),
                        "text": self.entities[entity],
                    }
                )
        pages = pd.DataFrame(
            {
                "page_number": range(1, PAGES_PER_DOCUMENT + 1),
                "text": texts,
                "bates": [f"WOMBAT {n:06d}" for n in range(1, PAGES_PER_DOCUMENT + 1)],
            }
        )
        halves = [(text[: len(text) // 2], text[len(text) // 2 :]) for text in texts]
        chunks = pd.DataFrame(
            {
                "chunk_index": range(2 * PAGES_PER_DOCUMENT),
                "text": [half for pair in halves for half in pair],
                "page_start": [page for page in range(1, PAGES_PER_DOCUMENT + 1) for _ in (0, 1)],
                "page_end": [page for page in range(1, PAGES_PER_DOCUMENT + 1) for _ in (0, 1)],
                "bates_start": [
                    f"WOMBAT {page:06d}" for page in range(1, PAGES_PER_DOCUMENT + 1) for _ in (0, 1)
                ],
                "bates_end": [
                    f"WOMBAT {page:06d}" for page in range(1, PAGES_PER_DOCUMENT + 1) for _ in (0, 1)
                ],
            }
        )
        return pages, chunks, mentions


def fresh_store(engine: str, folder: Path) -> tuple[TableStore, str | None]:
    if engine == "sqlite":
        return TableStore(f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:6]}.db'}"), None
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    name = f"docassets_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return TableStore(sa.make_url(SERVER).set(database=name).render_as_string(hide_password=False)), name


def drop(name: str | None) -> None:
    if name:
        admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def runs_of_documents(generator: Generator, pages: int) -> list[list[tuple[str, pd.DataFrame, pd.DataFrame]]]:
    documents = [
        (str(uuid.uuid4()), *generator.document("x")[:2]) for _ in range(pages // PAGES_PER_DOCUMENT)
    ]
    return [documents[i : i + DOCUMENTS_PER_RUN] for i in range(0, len(documents), DOCUMENTS_PER_RUN)]


class Stopwatch:
    """Wall time and this process's CPU time. SQLite works inside the process, so on a shared host
    its CPU time is the build's own work, where the wall time also holds the waits for a core."""

    def __enter__(self) -> Stopwatch:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def build_ours(tables: TableStore, runs) -> Stopwatch:
    with Stopwatch() as watch:
        for run in runs:
            rows = [row for d, pages, chunks in run for row in search_index_rows(d, "bench", pages, chunks)]
            tables.replace_tables({"search_index": rows}, {"document_id": [d for d, _, _ in run]})
    return watch


def build_bare(tables: TableStore, runs, table: str = "search_index") -> Stopwatch:
    """The same rows through the driver's executemany, one transaction per run (rows prepared beforehand)."""
    prepared = [
        [tuple(row.values()) for d, p, c in run for row in search_index_rows(d, "bench", p, c)]
        for run in runs
    ]
    marker = "%s" if tables.engine.dialect.name == "postgresql" else "?"
    statement = f"INSERT INTO {table} ({', '.join(SEARCH_INDEX_COLUMNS)}) VALUES ({', '.join([marker] * 9)})"
    connection = tables.engine.raw_connection()
    try:
        with Stopwatch() as watch:
            for rows in prepared:
                cursor = connection.cursor()
                cursor.executemany(statement, rows)
                connection.commit()
        return watch
    finally:
        connection.close()


def plain_copy(tables: TableStore) -> None:
    """`search_index` without its full-text index, for the cost of indexing."""
    with tables.engine.begin() as connection:
        columns = ", ".join(
            f"{c.name} {c.type.compile(tables.engine.dialect)}" for c in t.search_index.columns
        )
        connection.execute(
            sa.text(f"CREATE TABLE search_index_plain ({columns}, PRIMARY KEY (document_id, level, number))")
        )


def measure_build(engine: str, folder: Path) -> dict:
    """Rows per second of each way of building (median over the rounds), and "ours / bare" per
    round: its median, lowest and highest, by wall time and (SQLite) by CPU time. Each round builds
    ours and bare back to back, in turns first, so both see the same load of the shared host."""
    runs = runs_of_documents(Generator(entities=1000), BUILD_PAGES)
    rows = sum(len(p) + len(c) for run in runs for _, p, c in run)
    watches: dict[str, list[Stopwatch]] = {"ours": [], "bare": [], "bare_unindexed": []}
    for round_number in range(BUILD_ROUNDS):
        pair = ("ours", "bare") if round_number % 2 == 0 else ("bare", "ours")
        for label in (*pair, "bare_unindexed"):
            tables, database = fresh_store(engine, folder)
            try:
                tables.ensure_schema()
                if label == "ours":
                    watch = build_ours(tables, runs)
                elif label == "bare":
                    watch = build_bare(tables, runs)
                else:
                    plain_copy(tables)
                    watch = build_bare(tables, runs, "search_index_plain")
                watches[label].append(watch)
            finally:
                tables.engine.dispose()
                drop(database)
    result: dict = {"rows": rows}
    for label, measured in watches.items():
        result[label] = rows / statistics.median(w.wall for w in measured)
    for clock in ("wall", "cpu"):
        ratios = [
            getattr(bare, clock) / getattr(ours, clock)
            for ours, bare in zip(watches["ours"], watches["bare"], strict=True)
        ]
        result[f"ratio_{clock}"] = (statistics.median(ratios), min(ratios), max(ratios))
    return result


class GrowingProject:
    """A generated project grown in steps, its search index complete at each step for the queries.

    Bulk-loaded, because a latency run is about the loaded state, not the load: PostgreSQL through
    COPY with the GIN index dropped while rows arrive and built again before the queries (the
    `tsvector` column is still generated per row); SQLite with the FTS5 triggers dropped while rows
    arrive and the FTS5 index rebuilt from the rows before the queries, the triggers restored. At
    each step the tables are as the asset leaves them."""

    def __init__(self, tables: TableStore, generator: Generator):
        self.tables, self.generator = tables, generator
        self.entity_ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, name)) for name in generator.entities]
        self.mention_counts = np.zeros(len(generator.entities), dtype=int)
        self.pages = 0
        self.postgres = tables.engine.dialect.name == "postgresql"
        self.ddl = SEARCH_DDL[tables.engine.dialect.name]
        self.connection = tables.engine.raw_connection()
        self.cursor = self.connection.cursor()
        if self.postgres:
            self.cursor.execute("SELECT pg_backend_pid()")
            row = self.cursor.fetchone()
            assert row is not None, "pg_backend_pid() returns one row"
            os.setpriority(os.PRIO_PROCESS, row[0], 10)  # the server's side is niced too
            self.cursor.execute("SET maintenance_work_mem = '512MB'")
        self.connection.commit()

    def close(self) -> None:
        self.connection.close()

    def grow_to(self, pages: int) -> None:
        """Add documents until the project has `pages` pages, then make the index whole again."""
        if self.postgres:
            self.cursor.execute("DROP INDEX search_index_text_vector")
        else:
            for trigger in ("insert", "delete", "update"):
                self.cursor.execute(f"DROP TRIGGER search_index_fts_{trigger}")
        self.connection.commit()
        started = time.perf_counter()
        for rows in self._rows(pages):
            for table, records in rows.items():
                columns = ", ".join(f'"{c}"' for c in LOADED[table])
                if self.postgres:
                    with self.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for record in records:
                            copy.write_row(record)
                else:
                    markers = ", ".join("?" * len(LOADED[table]))
                    self.cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({markers})", records)
            self.connection.commit()
            if self.pages % 100_000 == 0:
                print(f"  {self.pages:,} pages loaded, {time.perf_counter() - started:.0f} s", flush=True)
        if self.postgres:
            self.cursor.execute(self.ddl[1])  # the GIN index
        else:
            self.cursor.execute("INSERT INTO search_index_fts(search_index_fts) VALUES ('rebuild')")
            for statement in self.ddl[1:]:  # the triggers
                self.cursor.execute(statement)
        self.connection.commit()
        self.tables.replace_rows(
            "resolved_entities",
            [
                {
                    "entity_id": self.entity_ids[n],
                    "project": "bench",
                    "label": "ORG",
                    "canonical_name": name,
                    "aliases": [name],
                    "mention_count": int(self.mention_counts[n]),
                    "document_count": int(self.mention_counts[n]),
                }
                for n, name in enumerate(self.generator.entities)
            ],
        )
        if self.postgres:
            with self.tables.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("VACUUM ANALYZE"))

    def _rows(self, pages: int) -> Iterator[dict[str, list[tuple]]]:
        """Runs of up to DOCUMENTS_PER_RUN documents: per table, its rows in LOADED's column order."""
        while self.pages < pages:
            rows: dict[str, list[tuple]] = {name: [] for name in LOADED}
            for _ in range(min(DOCUMENTS_PER_RUN, (pages - self.pages) // PAGES_PER_DOCUMENT)):
                document_id = str(uuid.uuid4())
                page_frame, chunk_frame, mentions = self.generator.document(document_id)
                rows["search_index"] += [
                    tuple(row.values())
                    for row in search_index_rows(document_id, "bench", page_frame, chunk_frame)
                ]
                rows["source_documents"].append(
                    (
                        document_id,
                        "bench",
                        f"{document_id}.pdf",
                        f"documents/{document_id}.pdf",
                        1,
                        "0" * 64,
                        PAGES_PER_DOCUMENT,
                        False,
                    )
                )
                for m in mentions:
                    self.mention_counts[m["entity"]] += 1
                    rows["entity_mentions"].append(
                        (
                            document_id,
                            m["mention_id"],
                            None,
                            0,
                            len(m["text"]),
                            m["text"],
                            "ORG",
                            m["text"].lower(),
                            m["page_number"],
                            None,
                            "rule",
                            1.0,
                            None,
                        )
                    )
                    rows["entity_links"].append(
                        (m["mention_id"], document_id, "bench", self.entity_ids[m["entity"]])
                    )
                self.pages += PAGES_PER_DOCUMENT
            yield rows


# The tables a generated project fills, and their columns in the order `GrowingProject` gives them.
LOADED = {
    "search_index": SEARCH_INDEX_COLUMNS,
    "source_documents": (
        "document_id",
        "project",
        "file_name",
        "blob_key",
        "size_bytes",
        "sha256",
        "page_count",
        "encrypted",
    ),
    "entity_mentions": MENTION_COLUMNS,
    "entity_links": ("mention_id", "document_id", "project", "entity_id"),
}


def query_latency(tables: TableStore, generator: Generator) -> dict:
    """p50/p95 of QUERIES searches (after 5 that warm the caches): two words of ranks 20-400 and an
    entity filter by name. Wall time, and this process's CPU time: with SQLite that is all of a
    search's work, without the waits for a core on a shared host."""
    rng = np.random.default_rng(3)
    words = generator.words
    watches, hit_counts = [], []
    for n in range(QUERIES + 5):
        first, second = words[rng.integers(20, 400)], words[rng.integers(20, 400)]
        entity = generator.entities[rng.integers(0, len(generator.entities))]
        with Stopwatch() as watch:
            hits = search(tables, "bench", f"{first} {second}", entities=[entity], limit=20)
        if n >= 5:
            watches.append(watch)
            hit_counts.append(len(hits))
    wall = [w.wall * 1000 for w in watches]
    cpu = [w.cpu * 1000 for w in watches]
    return {
        "p50": statistics.median(wall),
        "p95": float(np.percentile(wall, 95)),
        "cpu_p50": statistics.median(cpu),
        "cpu_p95": float(np.percentile(cpu, 95)),
        "mean_hits": float(np.mean(hit_counts)),
    }


def measure_latency(engine: str, folder: Path) -> None:
    """Latency at each of the engine's sizes, one project grown from the smallest to the largest."""
    sizes = sorted({*STEPS[engine], PAGES[engine]} - {s for s in STEPS[engine] if s > PAGES[engine]})
    generator = Generator(
        entities=max(100, PAGES[engine] // 50)
    )  # at the largest size, each entity on ~100 pages
    tables, database = fresh_store(engine, folder)
    try:
        tables.ensure_schema()
        project = GrowingProject(tables, generator)
        try:
            for pages in sizes:
                started = time.perf_counter()
                project.grow_to(pages)
                loaded = time.perf_counter() - started
                latency = query_latency(tables, generator)
                print(
                    f"{engine:<10} {pages:,} pages "
                    f"(~{2 * pages / len(generator.entities):.0f} pages per entity; "
                    f"{loaded:.0f} s to load and index this step): two-term query + entity filter, "
                    f"{QUERIES} queries: p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms "
                    f"(CPU here: p50 {latency['cpu_p50']:.1f} ms, p95 {latency['cpu_p95']:.1f} ms), "
                    f"{latency['mean_hits']:.1f} hits on average",
                    flush=True,
                )
        finally:
            project.close()
    finally:
        tables.engine.dispose()
        drop(database)


def main() -> None:
    print(f"search_speed ({'full' if FULL else 'quick'}), {os.cpu_count()} CPUs")
    with TemporaryDirectory() as folder:
        for engine in ENGINES if ONLY in (None, "build") else ():
            build = measure_build(engine, Path(folder))
            ratio = "ours / bare {:.2f} (median; {:.2f}-{:.2f})"
            by_cpu = f", by CPU time {ratio.format(*build['ratio_cpu'])}" if engine == "sqlite" else ""
            print(
                f"{engine:<10} index build, {build['rows']:,} rows ({BUILD_PAGES:,} pages + chunks), "
                f"{BUILD_ROUNDS} rounds: by wall time {ratio.format(*build['ratio_wall'])}{by_cpu}; "
                f"median rates: ours {build['ours']:,.0f} rows/s, bare executemany {build['bare']:,.0f} "
                f"rows/s, bare without the full-text index {build['bare_unindexed']:,.0f} rows/s "
                f"(indexing costs {1 - build['bare'] / build['bare_unindexed']:.0%})",
                flush=True,
            )
        for engine in ENGINES if ONLY in (None, "latency") else ():
            measure_latency(engine, Path(folder))


if __name__ == "__main__":
    main()

"""Identity resolution benchmark: hub.reconcile against Splink 5 (DuckDB) on the same records.

    python benchmarks/reconcile.py                       # 100k and 1M records, hard variation
    python benchmarks/reconcile.py --sizes 10000         # a quick run
    python benchmarks/reconcile.py --engines hub --sizes 1000000
    python benchmarks/reconcile.py --variation classic   # the figures before issue 14
    python benchmarks/reconcile.py --repeat 3            # medians of three turns per engine

Records come from ``hub.synth.company_records`` (the noise model of ``hub.synth.generate``:
HubSpot / Salesforce duplicates, missing websites, free-mail contacts, typos, legal forms,
country spellings, partial cross-reference ids) with the true company of each record; by
default with the ``hard`` variation (``hub.synth.variation``: more typos, a quarter without a
website, a third on free-mail, subsidiaries on sibling domains, generic names several
companies share). Each engine runs in its own process that reads the same parquet file, so
wall seconds and peak memory (the child's max RSS, from ``os.wait4``) are its own; both
include normalisation. With ``--repeat`` the engines take turns (hub, Splink, hub, Splink, ...:
a shared machine's load weighs on both alike) and the seconds and megabytes are medians; the
ratio is of those medians, and also the median of each turn's own ratio.

The hub normalises columns at once (``hub.reconcile.names_column`` / ``domains_column``, the
same results as ``hub.names``); Splink's input is normalised per distinct value with
``hub.names`` as before, and its line says how many of its seconds that took.

Metrics (pairwise, against the truth): TP = sum C(n,2) over (predicted cluster x true company)
cells, precision = TP / predicted pairs, recall = TP / true pairs, F1; cluster-count error =
(predicted clusters - true companies) / true companies; the largest predicted cluster; and
"no-dom. R", the recall of the true pairs with at least one record without a domain (no
website, no company email): the records only a name and a place can place.

Splink configuration (a fair, documented set-up, per Splink's own guidance):

- input normalised with the same ``hub.names`` functions (timed as Splink's normalisation):
  name (legal form stripped, folded), registrable website domain, company email domain,
  email address, city, country code, name's first token, plus the two cross-reference ids
  that can be shared (Salesforce account id, Application ID);
- blocking for predictions: domain, email domain, website domain = email domain (both ways),
  email address, exact name, first name token + city, each cross-reference id;
- comparisons: name Jaro-Winkler at 0.97 / 0.92 / 0.85 with term-frequency adjustment on the
  exact level, domain, email domain, email address, city, country, each id exact;
- training as the Splink docs recommend: probability two records match from deterministic
  rules (domain, ids; recall 0.7), u by random sampling (1e7 pairs, seeded), m by EM on three
  blocking rules (domain, exact name, email domain);
- predictions clustered (connected components) at match probability 0.95.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SPLINK_THRESHOLD = 0.95
ROOT = Path(__file__).resolve().parent.parent


# -- children -------------------------------------------------------------------------------


def run_hub(records: pd.DataFrame) -> pd.DataFrame:
    from hub.reconcile import resolve_entities

    return resolve_entities(records)[["record_id", "cluster_id"]]


def splink_input(records: pd.DataFrame) -> pd.DataFrame:
    """Splink's columns, normalised once per distinct value with ``hub.names``."""
    from hub import names

    domain = names.registrable_domains_of(records["website"])
    mail = names.email_domains_of(names.normalised_emails_of(records["email"]))
    frame = pd.DataFrame({
        "record_id": records["record_id"].astype(str).to_numpy(),
        "name": names.normalised_names_of(records["company"]).to_numpy(),
        "domain": domain.to_numpy(),
        "email_domain": mail.where(~mail.isin(names.FREE_MAIL_DOMAINS), None).to_numpy(),
        "email": names.normalised_emails_of(records["email"]).to_numpy(),
        "city": names.city_keys_of(records["city"]).to_numpy(),
        "country": names.country_codes_of(records["country"]).to_numpy(),
        "salesforce_account_id": records["salesforce_account_id"].astype(object).to_numpy(),
        "application_id": records["application_id"].astype(object).to_numpy(),
    })
    frame["name_token"] = frame["name"].str.split(" ", n=1).str[0]
    return frame


def run_splink(records: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Splink's clusters and the seconds its input's normalisation took."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    frame = splink_input(records)
    normalise_seconds = time.perf_counter() - started
    exact = lambda column: cl.ExactMatch(column)  # noqa: E731
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        blocking_rules_to_generate_predictions=[
            block_on("domain"), block_on("email_domain"), "l.domain = r.email_domain",
            "l.email_domain = r.domain", block_on("email"), block_on("name"),
            block_on("name_token", "city"), block_on("salesforce_account_id"), block_on("application_id"),
        ],
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.97, 0.92, 0.85]).configure(term_frequency_adjustments=True),
            exact("domain"), exact("email_domain"), exact("email"), exact("city"), exact("country"),
            exact("salesforce_account_id"), exact("application_id"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame, table_name="records"), settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("domain"), block_on("salesforce_account_id"), block_on("application_id")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    for rule in (block_on("domain"), block_on("name"), block_on("email_domain")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=SPLINK_THRESHOLD).as_pandas_dataframe()
    return clusters[["record_id", "cluster_id"]].astype({"cluster_id": str}), normalise_seconds


def child(engine: str, source: Path, target: Path) -> None:
    records = pd.read_parquet(source)
    started = time.perf_counter()
    clusters, normalise_seconds = (run_hub(records), None) if engine == "hub" else run_splink(records)
    seconds = time.perf_counter() - started
    clusters.astype(str).to_parquet(target)
    print(json.dumps({"seconds": seconds, "normalise_seconds": normalise_seconds}))


# -- parent ---------------------------------------------------------------------------------


def pair_count(counts: np.ndarray) -> int:
    counts = counts.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def quality(truth: pd.DataFrame, clusters: pd.DataFrame) -> dict[str, float]:
    """Pairwise scores; ``truth`` has ``record_id, true_company`` and optionally ``no_domain``."""
    frame = truth.merge(clusters, on="record_id", how="left")
    frame["cluster_id"] = frame["cluster_id"].fillna(frame["record_id"])  # unplaced: alone
    cells = frame.groupby(["cluster_id", "true_company"])
    tp = pair_count(cells.size().to_numpy())
    predicted = pair_count(frame.groupby("cluster_id").size().to_numpy())
    actual = pair_count(frame.groupby("true_company").size().to_numpy())
    no_domain_recall = float("nan")
    if "no_domain" in frame:
        # pairs with at least one no-domain record = all pairs - pairs of two records with one
        with_domain = frame.assign(d=~frame["no_domain"].astype(bool))
        tp_nd = tp - pair_count(with_domain.groupby(["cluster_id", "true_company"])["d"].sum().to_numpy())
        true_nd = actual - pair_count(with_domain.groupby("true_company")["d"].sum().to_numpy())
        no_domain_recall = tp_nd / true_nd if true_nd else 1.0
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    n_pred, n_true = frame["cluster_id"].nunique(), frame["true_company"].nunique()
    return {"precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "cluster_error": (n_pred - n_true) / n_true,
            "largest": int(frame.groupby("cluster_id").size().max()), "no_domain_recall": no_domain_recall}


def no_domain(records: pd.DataFrame) -> pd.Series:
    """Records without a website and without a company (non-free-mail) email domain."""
    from hub import names

    website = names.registrable_domains_of(records["website"])
    email = names.company_email_domains_of(names.normalised_emails_of(records["email"]))
    return website.isna() & email.isna()


def measure(engine: str, source: Path, workdir: Path) -> dict[str, float]:
    """Run one engine in a child process; its wall seconds, peak RSS and clusters."""
    target, log = workdir / f"{engine}-clusters.parquet", workdir / f"{engine}.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, __file__, "--child", engine, "--input", str(source),
                                 "--output", str(target)], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not all children's
        proc.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text()
    if proc.returncode != 0:
        raise SystemExit(f"{engine} failed (exit {proc.returncode}):\n{text[-4000:]}")
    timing = json.loads(text.strip().splitlines()[-1])
    return {"seconds": timing["seconds"], "normalise_seconds": timing["normalise_seconds"],
            "peak_mb": usage.ru_maxrss / 1024, "clusters": pd.read_parquet(target)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated record counts")
    parser.add_argument("--engines", default="hub,splink", help="hub, splink or both")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--variation", default="hard", help="hub.synth.variation preset: hard or classic")
    parser.add_argument("--repeat", type=int, default=1,
                        help="turns per engine (taken in turn); seconds and MB are medians")
    parser.add_argument("--child", choices=["hub", "splink"], help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.input, args.output)
        return
    from hub.synth import company_records

    header = (f"{'records':>9} {'engine':<7} {'precision':>9} {'recall':>7} {'F1':>7} {'no-dom. R':>9} "
              f"{'clust.err':>9} {'largest':>7} {'wall s':>7} {'peak MB':>8}")
    print(header)
    print("-" * len(header))
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        with tempfile.TemporaryDirectory(prefix="reconcile-bench-") as tmp:
            workdir = Path(tmp)
            records = company_records(size, args.seed, args.variation)
            truth = records[["record_id", "true_company"]].astype(str)
            truth["no_domain"] = no_domain(records).to_numpy()
            source = workdir / "records.parquet"
            records.drop(columns=["true_company"]).to_parquet(source)
            del records
            engines = [e.strip() for e in args.engines.split(",") if e.strip()]
            runs: dict[str, list[dict]] = {engine: [] for engine in engines}
            clusters = {}
            for _ in range(max(1, args.repeat)):
                for engine in engines:  # in turn, so a shared machine's load weighs on both alike
                    run = measure(engine, source, workdir)
                    clusters[engine] = run.pop("clusters")  # both engines are deterministic
                    runs[engine].append(run)
            seconds = {}
            for engine in engines:
                q = quality(truth, clusters[engine].astype(str))
                seconds[engine] = float(np.median([r["seconds"] for r in runs[engine]]))
                peak = float(np.median([r["peak_mb"] for r in runs[engine]]))
                print(f"{size:>9} {engine:<7} {q['precision']:>9.5f} {q['recall']:>7.4f} {q['f1']:>7.4f} "
                      f"{q['no_domain_recall']:>9.4f} {q['cluster_error']:>+9.4f} {q['largest']:>7} "
                      f"{seconds[engine]:>7.1f} {peak:>8.0f}", flush=True)
            if "splink" in runs:
                normalise = float(np.median([r["normalise_seconds"] for r in runs["splink"]]))
                print(f"{size:>9} Splink's seconds normalising its input (hub.names per value): {normalise:.1f}")
            if "hub" in seconds and "splink" in seconds:
                turns = [h["seconds"] / s["seconds"] for h, s in zip(runs["hub"], runs["splink"], strict=True)]
                print(f"{size:>9} hub time / Splink time: {seconds['hub'] / seconds['splink']:.2f} "
                      f"(per turn: {', '.join(f'{t:.2f}' for t in turns)})", flush=True)


if __name__ == "__main__":
    main()

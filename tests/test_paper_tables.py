"""Checks for the MixNN and SANM paper tables transcribed under data/paper_tables/."""
from pathlib import Path

import pandas as pd
import pytest

TABLE_DIR = Path(__file__).resolve().parents[1] / "data" / "paper_tables"
BASE_COLUMNS = ["table", "dataset", "noise", "rate", "method", "metric", "value", "source"]
MIXNN = "Lu & He 2024, arXiv 2406.16966"
SANM = "Tu et al. 2023, arXiv 2302.06805"
FILES = {  # file: (table, has a std column, rows, paper the source string names)
    "mixnn_table1_cifar.csv": ("I", True, 132, MIXNN),
    "mixnn_table2_clothing1m.csv": ("II", False, 9, MIXNN),
    "mixnn_table3_webvision.csv": ("III", False, 36, MIXNN),
    "mixnn_table4_ablation.csv": ("IV", True, 42, MIXNN),
    "sanm_table1_cifar.csv": ("1", False, 112, SANM),   # 14 methods x 8 columns
    "sanm_table6_plugin.csv": ("6", False, 64, SANM),   # 8 methods x 8 columns
}


def load(name):
    return pd.read_csv(TABLE_DIR / name, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_shape_and_values(name):
    table, has_std, n_rows, paper = FILES[name]
    df = load(name)
    expected = BASE_COLUMNS + (["std"] if has_std else [])
    assert set(expected) <= set(df.columns)
    assert len(df) == n_rows
    assert (df["table"] == table).all()
    assert (df["source"].str.strip() != "").all()
    assert (df["source"] == f"{paper}, Table {table}").all()
    values = pd.to_numeric(df["value"], errors="raise")
    assert values.between(0, 100).all()
    if has_std:
        std = pd.to_numeric(df["std"].replace("", None), errors="raise").dropna()
        assert std.between(0, 100).all()
    key = ["dataset", "noise", "rate", "method", "metric"]
    assert not df.duplicated(key).any()


def cell(name, **kw):
    df = load(name)
    mask = pd.Series(True, index=df.index)
    for k, v in kw.items():
        mask &= df[k] == v
    rows = df[mask]
    assert len(rows) == 1, kw
    return rows.iloc[0]


T1, T2, T3, T4 = (f"mixnn_table{i}_{n}.csv" for i, n in ((1, "cifar"), (2, "clothing1m"), (3, "webvision"),
                                                             (4, "ablation")))
CIFAR = ("method", "dataset", "noise", "rate")
SPOT_CHECKS = [  # (file, the cell's key, printed value, printed std or None); the paper's line in a comment
    # "MixNN (Ours) 93.91 ± 0.12 92.89 ± 0.02 91.66 ± 0.07 86.08 ± 1.01 90.25 ± 0.76 74.81 ± 0.14 ... 48.81 ± 0.06 68.18 ± 0.11"
    (T1, dict(zip(CIFAR, ("MixNN (Ours)", "cifar10", "symm", "0.8"))), "86.08", "1.01"),
    (T1, dict(zip(CIFAR, ("MixNN (Ours)", "cifar100", "asymm", "0.4"))), "68.18", "0.11"),
    # "F-correction [18] ... 8.99 ± 0.58 34.44 ± 1.93"
    (T1, dict(zip(CIFAR, ("F-correction", "cifar100", "symm", "0.8"))), "8.99", "0.58"),
    # "M-correction [42] - 92.30 86.10 74.10 - - 70.10 59.50 39.50 -"
    (T1, dict(zip(CIFAR, ("M-correction", "cifar10", "symm", "0.4"))), "92.30", ""),
    # "PENCIL [17] - - - - 91.01 - 69.12 ± 0.62 57.79 ± 3.86 fail 63.61 ± 0.23"
    (T1, dict(zip(CIFAR, ("PENCIL", "cifar10", "asymm", "0.4"))), "91.01", None),
    # "Test accuracy 69.21 69.84 69.75 70.15 70.63 71.02 71.74 72.16 72.39"
    (T2, dict(method="CE"), "69.21", None),
    (T2, dict(method="Joint-Optim"), "72.16", None),
    (T2, dict(method="MixNN"), "72.39", None),
    # "WebVision top1 61.12 62.54 62.68 63.00 63.58 65.24 72.40 74.60 75.39"
    (T3, dict(method="MentorNet", metric="webvision_top1"), "63.00", None),
    # "ILSVRC12 top1 57.36 58.26 57.80 57.80 61.48 61.60 67.36 66.70 70.54"
    (T3, dict(method="ODD", metric="ilsvrc12_top1"), "66.70", None),
    # "top5 82.36 82.26 81.36 79.92 84.70 84.98 87.84 86.30 90.31" (ILSVRC12)
    (T3, dict(method="MixNN", metric="ilsvrc12_top5"), "90.31", None),
    # "MixNN w/o weight estimation (RDM) 91.92 ± 0.09 78.72 ± 0.13 89.91 ± 0.27 71.08 ± 0.25 41.14 ± 0.18 72.98 ± 0.47"
    (T4, dict(zip(CIFAR, ("MixNN w/o weight estimation (RDM)", "cifar100", "asymm", "0.4"))), "72.98", "0.47"),
    # "MixNN w/o K nearest neighbours 92.19 ± 0.04 76.58 ± 0.25 ..."
    (T4, dict(zip(CIFAR, ("MixNN w/o K nearest neighbours", "cifar10", "symm", "0.8"))), "76.58", "0.25"),
    # "Mixup 89.46 ± 0.47 66.32 ± 0.92 81.66 ± 1.73 58.12 ± 0.87 18.77 ± 1.14 49.61 ± 1.39"
    (T4, dict(zip(CIFAR, ("Mixup", "cifar100", "symm", "0.8"))), "18.77", "1.14"),
]


@pytest.mark.parametrize("name, key, value, std", SPOT_CHECKS)
def test_spot_checks_against_the_paper_text(name, key, value, std):
    r = cell(name, **key)
    assert r["value"] == value
    if std is not None:
        assert r["std"] == std


def test_dashes_and_fail_cells_are_not_transcribed():
    # "PENCIL [17] - - - - 91.01 - 69.12 ± 0.62 57.79 ± 3.86 fail 63.61 ± 0.23"
    assert len(load(T1).query("method == 'PENCIL'")) == 4


def test_mixnn_rows_agree_between_tables_1_and_4():
    t1 = load("mixnn_table1_cifar.csv").query("method == 'MixNN (Ours)'")
    t4 = load("mixnn_table4_ablation.csv").query("method == 'MixNN'")
    key = ["dataset", "noise", "rate"]
    merged = t4.merge(t1, on=key, suffixes=("_4", "_1"))
    assert len(merged) == len(t4) == 6
    assert (merged["value_4"] == merged["value_1"]).all()
    assert (merged["std_4"] == merged["std_1"]).all()


S1, S6 = "sanm_table1_cifar.csv", "sanm_table6_plugin.csv"
SANM_SPOT_CHECKS = [  # (file, the cell's key, printed value); the paper's line (text file, lines 53 and 116)
    # Table 1: "DivideMix [15] 96.1 94.6 93.2 76.0 77.3 74.6 60.2 31.5"
    (S1, dict(zip(CIFAR, ("DivideMix", "cifar10", "symm", "0.8"))), "93.2"),
    (S1, dict(zip(CIFAR, ("DivideMix", "cifar100", "symm", "0.9"))), "31.5"),
    # Table 1: "Cross-Entropy (CE) 86.8 79.4 62.9 42.7 62.0 46.7 19.9 10.1"
    (S1, dict(zip(CIFAR, ("Cross-Entropy (CE)", "cifar100", "symm", "0.5"))), "46.7"),
    # Table 1: "Co-teaching [41] 89.5 85.7 67.4 47.9 65.6 51.8 27.9 13.7"
    (S1, dict(zip(CIFAR, ("Co-teaching", "cifar10", "symm", "0.9"))), "47.9"),
    # Table 1: "GCE [5] 90.0 89.3 73.9 36.5 68.1 53.3 22.1 8.9"
    (S1, dict(zip(CIFAR, ("GCE", "cifar10", "symm", "0.2"))), "90.0"),
    # Table 1: "SANM(DivideMix) 96.4 95.8 94.6 92.3 81.2 78.2 68.7 43.5"
    (S1, dict(zip(CIFAR, ("SANM(DivideMix)", "cifar10", "symm", "0.9"))), "92.3"),
    # Table 1: "SANM(C2D) 96.6 96.4 95.7 95.1 81.9 79.3 71.6 61.9"
    (S1, dict(zip(CIFAR, ("SANM(C2D)", "cifar100", "symm", "0.9"))), "61.9"),
    # Table 6: "SANM(CE) Best 92.4 89.7 72.1 51.5 70.9 53.1 34.8 18.6"
    (S6, dict(zip(CIFAR, ("SANM(CE)", "cifar100", "symm", "0.8"))), "34.8"),
    # Table 6: "Co-teaching [9] Best 82.6 73.0 24.0 14.6 50.5 38.2 11.8 4.9"
    (S6, dict(zip(CIFAR, ("Co-teaching", "cifar100", "symm", "0.9"))), "4.9"),
    # Table 6: "CDR [37] Best 90.4 85.0 47.2 12.3 63.3 39.5 29.2 8.0"
    (S6, dict(zip(CIFAR, ("CDR", "cifar10", "symm", "0.5"))), "85.0"),
    # Table 6: "SANM(ELR+) Best 96.3 95.7 94.1 82.9 79.8 77.3 65.0 38.7"
    (S6, dict(zip(CIFAR, ("SANM(ELR+)", "cifar10", "symm", "0.9"))), "82.9"),
]


@pytest.mark.parametrize("name, key, value", SANM_SPOT_CHECKS)
def test_sanm_spot_checks_against_the_paper_text(name, key, value):
    assert cell(name, **key)["value"] == value


def test_sanm_tables_layout():
    t1, t6 = load(S1), load(S6)
    for df, metric, n_methods in ((t1, "test_acc", 14), (t6, "test_acc_best", 8)):
        assert (df["metric"] == metric).all()
        assert (df["noise"] == "symm").all()
        assert df["method"].nunique() == n_methods
        # every method has all 8 columns: CIFAR-10 and CIFAR-100 at 20/50/80/90 %
        assert (df.groupby("method").size() == 8).all()
        assert set(df["rate"]) == {"0.2", "0.5", "0.8", "0.9"}
    assert t6["method"].tolist()[::8] == ["CE", "SANM(CE)", "Co-teaching", "SANM(Co-teaching)", "CDR", "SANM(CDR)",
                                          "ELR+", "SANM(ELR+)"]


def test_sanm_ce_falls_with_the_noise_rate():
    df = load(S1).query("method == 'Cross-Entropy (CE)'")
    for dataset, g in df.groupby("dataset"):
        values = pd.to_numeric(g.sort_values("rate")["value"])
        assert values.is_monotonic_decreasing, dataset


def test_sanm_ce_rows_agree_between_tables_1_and_6_and_the_body_text():
    key = ["dataset", "noise", "rate"]
    t1 = load(S1).query("method == 'Cross-Entropy (CE)'")
    t6 = load(S6).query("method == 'CE'")
    merged = t1.merge(t6, on=key, suffixes=("_1", "_6"))
    assert len(merged) == 8 and (merged["value_1"] == merged["value_6"]).all()
    # "an accuracy increase of around 14.9% on the symmetric 80% noise setting (CIFAR-100) ... by vanilla CE"
    gain = float(cell(S6, method="SANM(CE)", dataset="cifar100", rate="0.8")["value"]) - float(
        cell(S6, method="CE", dataset="cifar100", rate="0.8")["value"])
    assert gain == pytest.approx(14.9)

"""Checks for the MixNN, SANM and IEG paper tables and cleanlab's published AUROC, transcribed under
data/paper_tables/."""
from pathlib import Path

import pandas as pd
import pytest

TABLE_DIR = Path(__file__).resolve().parents[1] / "data" / "paper_tables"
BASE_COLUMNS = ["table", "dataset", "noise", "rate", "method", "metric", "value", "source"]
MIXNN = "Lu & He 2024, arXiv 2406.16966"
SANM = "Tu et al. 2023, arXiv 2302.06805"
IEG = "Zhang et al. 2020, arXiv 1910.00701"
FILES = {  # file: (table, has a std column, rows, paper the source string names, columns a row's key adds)
    "mixnn_table1_cifar.csv": ("I", True, 132, MIXNN, ()),
    "mixnn_table2_clothing1m.csv": ("II", False, 9, MIXNN, ()),
    "mixnn_table3_webvision.csv": ("III", False, 36, MIXNN, ()),
    "mixnn_table4_ablation.csv": ("IV", True, 42, MIXNN, ()),
    "sanm_table1_cifar.csv": ("1", False, 112, SANM, ()),   # 14 methods x 8 columns
    "sanm_table2_asym.csv": ("2", False, 23, SANM, ()),     # 14 methods x 2 rates, less 5 "-" cells
    "sanm_table3_clothing1m.csv": ("3", False, 15, SANM, ()),   # 15 methods, one cell each
    # 2 hosts x 2 mask sources (pre-trained backbone / SANM's own) x 8 columns
    "sanm_table4_pretrained_masks.csv": ("4", False, 32, SANM, ("masks",)),
    "sanm_table5_ablation.csv": ("5", False, 64, SANM, ()),  # 4 variants x Best/Last x 8 columns
    "sanm_table6_plugin.csv": ("6", False, 64, SANM, ()),   # 8 methods x 8 columns
    # 7 methods, 26 printed cells (RoG's 0.8 and Arazo et al.'s 0 are "-"), + 2 caption references
    "ieg_table1_cifar10.csv": ("1", True, 28, IEG, ("probe_size",)),
    # 8 rows (IEG three times, one per probe size) x 4 columns, less Arazo et al.'s "-", + 2 caption references
    "ieg_table2_cifar100.csv": ("2", True, 33, IEG, ("probe_size",)),
    "ieg_table3_asym.csv": ("3", True, 10, IEG, ()),        # GCE and LC print "-" at 0.8
    "ieg_table4_semantic.csv": ("4", False, 8, IEG, ()),    # 4 methods x 2 data sets
    "ieg_table6_semisup.csv": ("6", True, 8, IEG, ()),      # 4 methods x 2 data sets
    "ieg_table7_ablation.csv": ("7", False, 16, IEG, ()),   # 8 variants x 2 noise rates
    "ieg_tableA1_openset.csv": ("A1", False, 21, IEG, ("ood_source",)),   # 7 methods x 3 sources of images
}


def load(name):
    return pd.read_csv(TABLE_DIR / name, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_shape_and_values(name):
    table, has_std, n_rows, paper, extra_key = FILES[name]
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
    key = ["dataset", "noise", "rate", "method", "metric", *extra_key]
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
S2, S3, S4, S5 = (f"sanm_table{n}.csv" for n in ("2_asym", "3_clothing1m", "4_pretrained_masks", "5_ablation"))
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
    # Table 2 (lines 62-75): "Joint-Optim[32] | 92.8 | 91.7 |", "Distilling [45] | 92.7 | 90.2 |"
    (S2, dict(zip(CIFAR, ("Joint-Optim", "cifar10", "asymm", "0.2"))), "92.8"),
    (S2, dict(zip(CIFAR, ("Distilling", "cifar10", "asymm", "0.4"))), "90.2"),
    # Table 2: "Iterative-CV [3] | - | 88.0 |", "GCE [5] | 87.3 | 78.1 |", "SANM(DivideMix) | 95.4 | 94.8 |"
    (S2, dict(zip(CIFAR, ("Iterative-CV", "cifar10", "asymm", "0.4"))), "88.0"),
    (S2, dict(zip(CIFAR, ("GCE", "cifar10", "asymm", "0.4"))), "78.1"),
    (S2, dict(zip(CIFAR, ("SANM(DivideMix)", "cifar10", "asymm", "0.2"))), "95.4"),
    # Table 3 (lines 76-91): "CrossEntropy | 69.21 |", "M-correction [1] | 71.00 |", "SANM(DivideMix) | 75.63 |"
    (S3, dict(method="CrossEntropy"), "69.21"),
    (S3, dict(method="M-correction"), "71.00"),
    (S3, dict(method="Nested"), "74.90"),
    (S3, dict(method="SANM(DivideMix)"), "75.63"),
    # Table 4 (lines 92-103), CIFAR-10: "D | ✓ | ✗ | 96.0 | 95.1 | 93.7 | 81.5 |"
    (S4, dict(zip(CIFAR, ("DivideMix", "cifar10", "symm", "0.9")), masks="pretrained"), "81.5"),
    # CIFAR-100: "C | ✓ | ✗ | 80.0 | 77.1 | 69.2 | 58.4 |", then "✗ | ✓ | 81.9 | 79.3 | 71.6 | 61.9 |"
    (S4, dict(zip(CIFAR, ("C2D", "cifar100", "symm", "0.5")), masks="pretrained"), "77.1"),
    (S4, dict(zip(CIFAR, ("C2D", "cifar100", "symm", "0.8")), masks="sanm"), "71.6"),
    # Table 5 (lines 106-115): "✓ | ✗ | ✗ | Best | 96.3 | 95.3 | 94.0 | 91.4 | 80.2 | 77.3 | 68.0 | 42.7 |"
    (S5, dict(zip(CIFAR, ("+AMG", "cifar10", "symm", "0.9")), metric="test_acc_best"), "91.4"),
    # "Last | 96.3 | 95.4 | 94.0 | 91.5 | 80.2 | 77.1 | 68.2 | 42.7 |" (the +AMG+NLR row)
    (S5, dict(zip(CIFAR, ("+AMG+NLR", "cifar100", "symm", "0.5")), metric="test_acc_last"), "77.1"),
    # "Last | 96.3 | 95.6 | 94.3 | 92.1 | 80.4 | 78.0 | 68.3 | 43.0 |" (the full SANM row)
    (S5, dict(zip(CIFAR, ("SANM(DivideMix)", "cifar100", "symm", "0.2")), metric="test_acc_last"), "80.4"),
    # "✗ | ✗ | ✗ | Best | ..." then "Last | 95.7 | 94.4 | 92.9 | 75.4 | 76.9 | 74.2 | 59.6 | 31.0 |"
    (S5, dict(zip(CIFAR, ("DivideMix", "cifar10", "symm", "0.9")), metric="test_acc_last"), "75.4"),
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


def test_sanm_tables_2_to_5_layout():
    t2, t3, t4, t5 = load(S2), load(S3), load(S4), load(S5)
    # Table 2: CIFAR-10, asymmetric noise at 20 % and 40 %; five "-" cells are not transcribed
    assert set(t2["dataset"]) == {"cifar10"} and set(t2["noise"]) == {"asymm"} and set(t2["rate"]) == {"0.2", "0.4"}
    assert (t2["metric"] == "test_acc").all() and t2["method"].nunique() == 14
    single = t2.groupby("method").size()
    assert single[single == 1].to_dict() == {"F-correction": 1, "Meta-Learning": 1, "M-correction": 1,
                                             "Iterative-CV": 1, "RRL": 1}
    assert cell(S2, method="F-correction")["rate"] == "0.2" and cell(S2, method="RRL")["rate"] == "0.4"
    # Table 3: Clothing1M, as MixNN's Table II stores it; two decimals as printed, in the printed order
    assert set(t3["dataset"]) == {"clothing1m"} and set(t3["noise"]) == {"real-world"} and set(t3["rate"]) == {""}
    assert (t3["metric"] == "test_acc").all() and t3["value"].str.fullmatch(r"\d+\.\d\d").all()
    assert t3["method"].iloc[0] == "CrossEntropy" and t3["method"].iloc[-1] == "SANM(DivideMix)"
    # Tables 4 and 5: CIFAR-10/100, symmetric noise at 20/50/80/90 %
    for df in (t4, t5):
        assert set(df["noise"]) == {"symm"} and set(df["rate"]) == {"0.2", "0.5", "0.8", "0.9"}
        assert set(df["dataset"]) == {"cifar10", "cifar100"}
    assert (t4["metric"] == "test_acc").all()
    assert t4.groupby(["method", "masks"]).size().to_dict() == {
        (m, k): 8 for m in ("DivideMix", "C2D") for k in ("pretrained", "sanm")}
    assert [tuple(r) for r in t4[["method", "masks"]].values[::8]] == [
        ("DivideMix", "pretrained"), ("DivideMix", "sanm"), ("C2D", "pretrained"), ("C2D", "sanm")]
    assert set(t5["metric"]) == {"test_acc_best", "test_acc_last"}
    assert (t5["variant"] == t5["method"]).all()
    assert t5.groupby(["variant", "metric"]).size().eq(8).all()


def test_sanm_table5_component_grid():
    df = load(S5)
    assert set(df["amg"]) | set(df["nlr"]) | set(df["smr"]) == {"True", "False"}
    flags = {v: tuple(g.iloc[0][c] == "True" for c in ("amg", "nlr", "smr")) for v, g in df.groupby("variant")}
    assert all(g[["amg", "nlr", "smr"]].nunique().eq(1).all() for _, g in df.groupby("variant"))
    # printed "✗ ✗ ✗", "✓ ✗ ✗", "✓ ✓ ✗", "✓ ✓ ✓", in this order
    assert flags == {"DivideMix": (False, False, False), "+AMG": (True, False, False),
                     "+AMG+NLR": (True, True, False), "SANM(DivideMix)": (True, True, True)}
    assert df["variant"].tolist()[::16] == ["DivideMix", "+AMG", "+AMG+NLR", "SANM(DivideMix)"]
    # no Last cell is above its Best
    wide = df.assign(value=pd.to_numeric(df["value"])).pivot_table(
        index=["variant", "dataset", "rate"], columns="metric", values="value")
    assert (wide["test_acc_last"] <= wide["test_acc_best"]).all()


def test_sanm_tables_agree_with_table_1_and_the_body_text():
    key = ["dataset", "noise", "rate"]
    t1, t4, t5 = load(S1), load(S4), load(S5)

    def same(a, b):
        m = a.merge(b, on=key, suffixes=("_a", "_b"))
        return len(m) == 8 and (m["value_a"] == m["value_b"]).all()

    # Table 4's rows with SANM's own masks are Table 1's SANM(DivideMix) and SANM(C2D)
    for host in ("DivideMix", "C2D"):
        assert same(t4[(t4["method"] == host) & (t4["masks"] == "sanm")], t1[t1["method"] == f"SANM({host})"])
    # Table 5's Best rows: no component = Table 1's DivideMix, all three = Table 1's SANM(DivideMix)
    best = t5[t5["metric"] == "test_acc_best"]
    assert same(best[best["variant"] == "DivideMix"], t1[t1["method"] == "DivideMix"])
    assert same(best[best["variant"] == "SANM(DivideMix)"], t1[t1["method"] == "SANM(DivideMix)"])
    # "even compared with ... well-trained strong backbones, our adversarial masking generation can consistently
    # performs better"
    wide = t4.assign(value=pd.to_numeric(t4["value"])).pivot_table(
        index=["method", "dataset", "rate"], columns="masks", values="value")
    assert (wide["sanm"] > wide["pretrained"]).all()
    # Clothing1M: "SANM can bring around 0.87% improvement in accuracy to the baseline method DivideMix"
    gain = float(cell(S3, method="SANM(DivideMix)")["value"]) - float(cell(S3, method="DivideMix")["value"])
    assert gain == pytest.approx(0.87)


def test_sanm_tables_2_to_5_noise_conventions():
    from lnl import report
    from lnl.noise import KINDS

    for f in (S2, S4, S5):
        for ds, noise in load(f)[["dataset", "noise"]].drop_duplicates().itertuples(index=False):
            c = report.convention_of(f, ds, noise)
            assert c["convention"] in KINDS and c["source"]
    assert report.convention_of(S2, "cifar10", "asymm")["convention"] == "asymmetric"
    assert report.convention_of(S2, "cifar10", "asymm")["rate_effective"] == "r/2"
    for f in (S4, S5):
        assert report.convention_of(f, "cifar100", "symm")["convention"] == "symmetric-uniform"
    # Clothing1M's real-world noise is no noise kind of lnl.noise, as for MixNN's Table II
    with pytest.raises(KeyError, match="no entry for sanm_table3_clothing1m.csv"):
        report.convention_of(S3, "clothing1m", "real-world")
    # lnl.report finds the asymmetric cells under this library's noise name
    t2 = report.paper_table(S2)
    assert report.paper_cell([t2], "cifar10", "asymmetric", 0.4, ["SANM(DivideMix)"]) == "94.80"
    assert report.paper_row([t2], "cifar10", "asymmetric", 0.2, ["RRL"]) is None     # printed "-"


I1, I2, I3, I4, I6, I7, IA1 = (f"ieg_table{n}.csv" for n in ("1_cifar10", "2_cifar100", "3_asym", "4_semantic",
                                                                 "6_semisup", "7_ablation", "A1_openset"))
IEG_SPOT_CHECKS = [  # (file, the cell's key, printed value, printed std or None); the paper's line (text file)
    # Table 1: "IEG 0.1k 96.8 96.2 ± 0.2 95.9 ± 0.2 93.7±0.5"
    (I1, dict(zip(CIFAR, ("IEG", "cifar10", "symm", "0.8"))), "93.7", "0.5"),
    (I1, dict(zip(CIFAR, ("IEG", "cifar10", "symm", "0.0"))), "96.8", ""),
    # Table 1: "IEG-RN29 0.1k 94.4 92.9 ± 0.2 92.5 ± 0.5 85.6+1.1"
    (I1, dict(zip(CIFAR, ("IEG-RN29", "cifar10", "symm", "0.8"))), "85.6", "1.1"),
    # Table 1: "L2R (Ren et al., 2018) 1k 96.1 $90.0^{\pm}0.4^{*}$ 86.9 ± 0.2 $73.0\pm0.8^*$"
    (I1, dict(zip(CIFAR, ("L2R", "cifar10", "symm", "0.2"))), "90.0", "0.4"),
    # Table 1: "(Arazo et al., 2019) - - 93.8 92.3 74.1"
    (I1, dict(zip(CIFAR, ("Arazo et al. 2019", "cifar10", "symm", "0.4"))), "92.3", ""),
    # Table 1 caption: "standard training of WRN-28-10/ResNet29 (RN29) leads to 96.1%/92.7% accuracy"
    (I1, dict(method="standard training (RN29)"), "92.7", ""),
    # Table 2: "IEG 1k 83.0 $81.2 {\pm} 0.7$ 80.2 ± 0.3 75.5 ± 0.2"
    (I2, dict(zip(CIFAR, ("IEG", "cifar100", "symm", "0.4")), probe_size="1000"), "80.2", "0.3"),
    # Table 2: "IEG 0.1k 83.0 77.4 ± 0.4 75.1 ± 1.1 62.1 ± 1.2"
    (I2, dict(zip(CIFAR, ("IEG", "cifar100", "symm", "0.8")), probe_size="100"), "62.1", "1.2"),
    # Table 2: "IEG 0.5k 83.0 80.4 ± 0.5 79.6 ± 0.3 73.6 ± 1.5"
    (I2, dict(zip(CIFAR, ("IEG", "cifar100", "symm", "0.2")), probe_size="500"), "80.4", "0.5"),
    # Table 2: "GCE (Zhang & Sabuncu, 2018) - 81.4 66.8 ± 0.4 61.8 ± 0.2 47.7 ± 0.7"
    (I2, dict(zip(CIFAR, ("GCE", "cifar100", "symm", "0.8"))), "47.7", "0.7"),
    # Table 2: "L2R (Ren et al., 2018) 1k 81.2 $67.1\pm0.1^*$ 61.3+2.0 $35.1 \pm 1.2^*$"
    (I2, dict(zip(CIFAR, ("L2R", "cifar100", "symm", "0.4"))), "61.3", "2.0"),
    # Table 3: "IEG 96.5±0.2 94.9±0.1 79.3±2.4"
    (I3, dict(zip(CIFAR, ("IEG", "cifar10", "asymm", "0.8"))), "79.3", "2.4"),
    # Table 3: "LC 89.1±0.5 83.6 ± 0.3 -"
    (I3, dict(zip(CIFAR, ("LC", "cifar10", "asymm", "0.4"))), "83.6", "0.3"),
    # Table 4: "L2R 71.0* 56.9*"
    (I4, dict(method="L2R", dataset="cifar100"), "56.9", None),
    # Table 4: "IEG 88.3 73.7"
    (I4, dict(method="IEG", dataset="cifar10", rate="0.34"), "88.3", None),
    # Table 6: "CIFAR100 34.5 57.6 ± 0.4 67.3 ± 0.3 75.2 ± 0.2"
    (I6, dict(method="EG*", dataset="cifar100"), "67.3", "0.3"),
    (I6, dict(method="MixMatch", dataset="cifar10"), "51.2", ""),
    # Table 7: "5 ✓ ✓ ✓ ✓ 79.96 75.42", "1 64.43 33.52", "8 X 81.05 74.04"
    (I7, dict(method="IEG-5", rate="0.8"), "75.42", None),
    (I7, dict(method="IEG-1", rate="0.4"), "64.43", None),
    (I7, dict(method="IEG-8", rate="0.4"), "81.05", None),
    # Table A1: "RN29 77.8 80.34 84.43", "IEG 92.3 93.0 94.0"
    (IA1, dict(method="RN29", ood_source="CIFAR100+ImageNet"), "80.34", None),
    (IA1, dict(method="IEG", ood_source="ImageNet"), "94.0", None),
]


@pytest.mark.parametrize("name, key, value, std", IEG_SPOT_CHECKS)
def test_ieg_spot_checks_against_the_paper_text(name, key, value, std):
    r = cell(name, **key)
    assert r["value"] == value
    if std is not None:
        assert r["std"] == std


RATES = ("0.0", "0.2", "0.4", "0.8")


def test_ieg_probe_sizes_and_marks():
    t1, t2 = load(I1), load(I2)
    for df in (t1, t2):
        sizes = df["probe_size"][df["probe_size"] != ""]
        assert sizes.str.fullmatch(r"[1-9][0-9]*").all()           # a number of images, "-" left empty
        assert (df.query("method == 'MentorNet DD'")["probe_size"] == "5000").all()   # printed "5k"
        assert (df.query("method == 'GCE'")["probe_size"] == "").all()               # printed "-"
        refs = df[df["method"].str.startswith("standard training")]
        assert len(refs) == 2 and (refs["rate"] == "0.0").all() and (refs["probe_size"] == "").all()
        # "*": L2R at 0.2 and 0.8 only, in both tables
        starred = df[df["note"] == "trained by the authors (*)"]
        assert set(starred["method"]) == {"L2R"} and set(starred["rate"]) == {"0.2", "0.8"}
    assert (t1.query("method == 'IEG'")["probe_size"] == "100").all()                # "0.1k": 10 per class
    assert (t1.query("method == 'IEG'")["network"] == "WRN-28-10").all()
    assert (t1.query("method == 'IEG-RN29'")["network"] == "RN29").all()
    # Table 2 prints IEG three times: 0.1k (1 image per class), 0.5k and 1k, each at 0/0.2/0.4/0.8
    ieg = t2.query("method == 'IEG'")
    assert len(ieg) == 12
    assert {r: set(g["probe_size"]) for r, g in ieg.groupby("rate")} == {r: {"100", "500", "1000"} for r in RATES}
    assert (ieg.query("rate == '0.0'")["value"] == "83.0").all()


def test_ieg_lookup_by_method_name_finds_ten_images_per_class():
    from lnl import report

    # the 1k rows come first, so lnl.report's look-ups by method name give the paper's main setting
    t2 = report.paper_table(I2)
    row = report.paper_row([t2], "cifar100", "symmetric-uniform", 0.8, ["IEG"])
    assert row["probe_size"] == 1000 and row["value"] == pytest.approx(75.5)
    assert report.paper_cell([t2], "cifar100", "symmetric-uniform", 0.4, ["IEG"]) == "80.20 ± 0.30"


def test_ieg_table7_reconstructed_component_grid():
    df = load(I7)
    flags = {v: tuple(g.iloc[0][c] == "True" for c in ("uc", "mc", "aa", "lambda")) for v, g in df.groupby("variant")}
    assert set(df["uc"]) | set(df["mc"]) | set(df["aa"]) | set(df["lambda"]) == {"True", "False"}
    assert (df["variant"] == df["method"]).all()
    assert df.groupby("variant").size().to_dict() == {f"IEG-{i}": 2 for i in range(1, 9)}
    assert flags["IEG-1"] == (False,) * 4            # "IEG-1 is equal to L2R"
    assert flags["IEG-5"] == (True,) * 4             # "IEG-5 is the full IEG"
    # the ladder IEG-1 ... IEG-5 turns on lambda, then AA, then MC, then UC
    ladder = [sum(flags[f"IEG-{i}"]) for i in range(1, 6)]
    assert ladder == [0, 1, 2, 3, 4]
    assert flags["IEG-2"] == (False, False, False, True) and flags["IEG-3"] == (False, False, True, True)
    assert flags["IEG-4"] == (False, True, True, True)      # "IEG-4 shows results without UC"
    # the full model with one component off: MC ("IEG-6"), AA ("IEG-7"), lambda (IEG-8, the X in the lambda column)
    assert flags["IEG-6"] == (True, False, True, True)
    assert flags["IEG-7"] == (True, True, False, True)
    assert flags["IEG-8"] == (True, True, True, False)


def test_ieg_tables_agree_with_each_other_and_the_abstract():
    t1, t2, t6 = load(I1), load(I2), load(I6)
    # Table 6's IEG on CIFAR-10 (80 % uniform, 10 per class) is Table 1's cell
    assert cell(I6, method="IEG", dataset="cifar10")[["value", "std"]].tolist() == ["93.7", "0.5"]
    # ... but on CIFAR-100 Table 6 prints 75.2 ± 0.2 where Table 2 (1k) prints 75.5 ± 0.2; kept as printed
    assert cell(I6, method="IEG", dataset="cifar100")["value"] == "75.2"
    assert cell(I2, method="IEG", rate="0.8", probe_size="1000")["value"] == "75.5"
    # abstract: "80.2±0.3% ... only 1.4% higher error than a neural network trained without label noise"
    ref = float(cell(I2, method="standard training (WRN-28-10)")["value"])
    assert ref - float(cell(I2, method="IEG", rate="0.4", probe_size="1000")["value"]) == pytest.approx(1.4)
    # abstract: "75.5±0.2%, compared to the previous best 47.7%" (GCE, the best non-IEG row at 0.8)
    others = t2[(t2["rate"] == "0.8") & ~t2["method"].str.startswith("IEG")]
    assert others["value"].astype(float).max() == 47.7
    # the body text says "94.7% accuracy with 80% noise ratio"; Table 1 prints 93.7, which is transcribed
    assert cell(I1, method="IEG", rate="0.8")["value"] == "93.7"
    assert set(t1["noise"]) == set(t2["noise"]) == {"symm"} and set(load(I3)["noise"]) == {"asymm"}


def test_ieg_noise_conventions():
    from lnl import report
    from lnl.noise import KINDS

    for f in (I1, I2, I3, I6, I7):
        t = load(f)
        pairs = t[t["noise"].isin(["symm", "asymm"])][["dataset", "noise"]].drop_duplicates()
        assert len(pairs)
        for ds, noise in pairs.itertuples(index=False):
            c = report.convention_of(f, ds, noise)
            assert c["convention"] in KINDS and c["source"]
    assert report.convention_of(I1, "cifar10", "symm")["convention"] == "symmetric-uniform"
    assert report.convention_of(I2, "cifar100", "symm")["rate_effective"] == "r(C-1)/C"
    assert report.convention_of(I3, "cifar10", "asymm")["convention"] == "asymmetric"
    # RoG's network-made labels, open-set images and unlabeled data are no noise kind of lnl.noise
    for f, ds, noise in ((I4, "cifar10", "semantic"), (IA1, "cifar10", "open-set"), (I6, "cifar10", "unlabeled")):
        with pytest.raises(KeyError, match="no entry"):
            report.convention_of(f, ds, noise)
    semisup = load(I6)
    assert (semisup.query("noise == 'unlabeled'")["rate"] == "").all()
    assert semisup.query("noise == 'symm'")["method"].tolist() == ["IEG", "IEG"]


CLEANLAB = "cleanlab_cifar10n_auroc.csv"
BENCH = "Kuan & Mueller 2022, cleanlab/label-error-detection-benchmarks src/experiments/"


def test_cleanlab_published_auroc_file():
    df = load(CLEANLAB)
    assert set(BASE_COLUMNS) <= set(df.columns) and len(df) == 2
    assert not df.duplicated(["dataset", "noise", "method", "metric"]).any()
    assert (df["table"] == "label-error-detection-benchmarks").all() and (df["dataset"] == "cifar10n").all()
    assert (df["metric"] == "auroc").all() and pd.to_numeric(df["value"]).between(0, 1).all()
    # the protocol: ResNet-18, 5-fold cross-validation, self-confidence without adjusted probabilities
    assert (df[["network", "folds", "score", "adjust_pred_probs"]] ==
            ["ResNet-18", "5", "self_confidence", "False"]).all().all()
    # the notebooks' result tables: "resnet18 | worse_label | self_confidence | False | 0.963435", and for
    # aggre_label 0.977300
    assert cell(CLEANLAB, noise="worse")["value"] == "0.963435"
    assert cell(CLEANLAB, noise="aggre")["value"] == "0.977300"
    assert cell(CLEANLAB, noise="worse")["source"] == \
        f"{BENCH}cifar-10n-worst/3_Evaluate_Scores.ipynb @24922ac5"
    assert cell(CLEANLAB, noise="aggre")["source"] == \
        f"{BENCH}cifar-10n-aggregate/3_Evaluate_Scores.ipynb @fbc87728"
    # every label set is one of the loader's, so a page can find our runs of the same labels
    from lnl.data import HUMAN_LABEL_SETS

    assert set(df["noise"]) <= set(HUMAN_LABEL_SETS["cifar10n"])

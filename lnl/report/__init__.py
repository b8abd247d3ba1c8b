"""What every replication page needs: paper numbers looked up, never typed; our runs summarised
over seeds; claims checked with a verdict.

The tables under ``data/paper_tables/`` are tidy CSV files, one row per cell: ``table``,
``dataset``, ``noise`` (``symm`` / ``asymm``, as the papers print it), ``rate``, ``method``,
``metric``, ``value``, ``std`` where the paper gives one, and ``source``. :func:`paper_table` reads
one and adds ``cell``, the value as printed (``mean ± std``); :func:`paper_row` and
:func:`paper_cell` find the cell for one of our runs, named in this library's terms (noise kinds of
:mod:`lnl.noise`).

Every name is importable from ``lnl.report``; it lives in one of these sub-modules. The shared core:

- :mod:`~lnl.report.tables`: paper tables and look-ups, the noise conventions of their rows;
- :mod:`~lnl.report.claims`: seeds, seed-paired differences, claims and their verdicts, checks;
- :mod:`~lnl.report.summaries`: run records over seeds, memorisation and the clean/noisy split;
- :mod:`~lnl.report.representations`: trained networks' features, IEG's meta weights, SANM's focus;
- :mod:`~lnl.report.timing`: wall time per epoch from records, and per step timed on this machine;
- :mod:`~lnl.report.protocol`: a page's protocol as a table, one layout per kind of page.

One module per book chapter, for its pages' tables, claims and prose: :mod:`~lnl.report.foundations`,
:mod:`~lnl.report.baselines`, :mod:`~lnl.report.mixnn`, :mod:`~lnl.report.alr`, :mod:`~lnl.report.sanm`,
:mod:`~lnl.report.ieg` and :mod:`~lnl.report.detection` (the part "Finding the wrong labels"); the
leaderboard's (one protocol, every method, ranked with its cost) is :mod:`~lnl.report.leaderboard`.
A chapter module imports what it needs from the core, never from another
chapter.
"""

from lnl.report.alr import (ALR_CLAIMS_WHY, ablation_table, alr_claims, alr_protocol, breakdown_at_end, cells_table,
                            cluster_scores, collapse_sentence, cost_table, described_share, peak_and_fit, seed_columns,
                            shared_runs_line, spread_percent)
from lnl.report.baselines import (BASELINES_QUOTED, BASELINES_TABLES, DETECTION_NAMES, arm_groups, baselines_claims,
                                  baselines_protocol, baselines_summary, cell_table, claims_glue, coteaching_verdict,
                                  nominal_share, published_parts, quoted_rows, run_line, summary_glue)
from lnl.report.claims import (Check, Claim, arm_records, by_seed, cell_mean, checks_table, claims_table, lead, paired,
                               pct, seed_spread, seed_values, verdict_lists, verdict_of)
from lnl.report.detection import (CLEANLAB, Block, auroc_over_epochs, cleanlab_published, cleanlab_scores,
                                  detection_block, detection_metrics_table, detection_protocol, detection_summary,
                                  detector_cost, detector_metrics, detector_ranking, disagreement_table, most_suspicious,
                                  published_beside_ours)
from lnl.report.foundations import (MEMORISATION_GLUE, MEMORISATION_SOURCES, campaign_memorisation, convention_rates,
                                    detection_table, gmm_fits, gradient_pull, human_noise_note, memorisation_checks,
                                    memorisation_claims, memorisation_curve, memorisation_values, noise_gallery,
                                    noise_table, posterior_note, rate_formula)
from lnl.report.ieg import (IEG_COMPONENTS, can_time, ieg_added, ieg_auroc_text, ieg_batch_table, ieg_claim_values,
                            ieg_claims, ieg_coefficient_table, ieg_cost_text, ieg_epoch_cost, ieg_forms_table,
                            ieg_gpu_table, ieg_gradient_checks, ieg_isolation_table, ieg_isolation_values, ieg_ladder,
                            ieg_logit_norm_summary, ieg_lookahead_table, ieg_loss_terms, ieg_method_table,
                            ieg_paper_grid, ieg_probe_alone, ieg_probe_losses, ieg_probe_sweep, ieg_protocol_table,
                            ieg_relabel_last, ieg_relabel_text, ieg_repair_values, ieg_rho_table, ieg_settings_table,
                            ieg_steps, ieg_supervised_share, ieg_supervised_table, ieg_sweep_table, ieg_table2_probe,
                            ieg_table6_grid, ieg_table7_grid, ieg_table_note, ieg_virtual_table, ieg_virtual_text,
                            ieg_weight_groups, probe_counts, seconds_per_step, yardstick_text)
from lnl.report.leaderboard import (arm_settings, board, board_protocol, bootstrap_means, cost_ratios, detection_auroc,
                                    gpu_board, left_out_note, other_records, p_beats, planned_profiles, rank_note,
                                    run_table)
from lnl.report.mixnn import (MIXNN_CLAIMS, RUN_SUMMARY, as_printed, campaign_corrections, clean_share, convention_runs,
                              correction_shares, mixnn_claims, mixnn_protocol, neighbour_checks, pull_means, pull_prose,
                              run_summary, training_checks)
from lnl.report.protocol import cells_protocol, protocol_table, settings_text
from lnl.report.representations import (activation_focus, clean_cluster_of, clean_cluster_score, focus_table,
                                        meta_weights, relabel_breakdown, trained_features)
from lnl.report.sanm import (SANM_LADDER_PAPER, SANM_SAYS, SANM_TABLES, _HostOf, accuracy_table, clean_split,
                             focus_forms, focus_verdict, host_and_plugin, nlr_cap_note, nlr_checks, noise_shares,
                             pair_table, pivot_cells, run_settings, sanm_claims, sanm_cost, sanm_forms, sanm_ladder,
                             sanm_paper_tables, sanm_protocol, sanm_sources, sanm_target_forms, show_wide, shown,
                             sources_of, summary_rows, wrong_share, yardstick_note)
from lnl.report.summaries import (BREAKDOWN, best_minus_last, correction_table, detection_curve, gmm_split,
                                  history_mean, memorisation_breakdown, memorisation_table, memorised_at_end,
                                  method_table, seed_table)
from lnl.report.tables import (MISSING, PAPER_NOISE, PAPER_TABLES, cell_source, convention_of, conventions, paper_cell,
                               paper_difference, paper_gap, paper_row, paper_table, paper_value, published)
from lnl.report.timing import epoch_ratio, epoch_seconds, step_seconds, train_epoch_seconds

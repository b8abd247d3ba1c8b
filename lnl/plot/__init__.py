"""One figure style for the whole book, and the figures that several chapters share.

Every figure of the book is drawn with matplotlib (seaborn only sets the theme) after
:func:`apply_style`. A method keeps its colour in every chapter (:data:`METHOD_COLOURS`), and
clean and mislabelled samples keep theirs (:data:`CLEAN_COLOUR`, :data:`NOISY_COLOUR`).

Shared figures, each drawing on a given ``ax`` (a new one when ``None``) and returning it:

- :func:`transition_heatmap`: a transition matrix ``T[i, j] = P(ỹ = j | y = i)``;
- :func:`history_curves`: per-epoch values from the ``history`` of one or more run records;
- :func:`loss_histogram`: per-sample losses of clean vs mislabelled samples, with the GMM's
  P(clean) on a second axis;
- :func:`memorisation_bars`: the shares of clean or mislabelled samples predicted correct,
  incorrect or memorised, per epoch (ALR's Figure 4);
- :func:`simplex_heatmap`: a value over the 3-class probability simplex (:func:`simplex_grid`);
- :func:`split_bars`: one bar per sample of a small batch, coloured clean or mislabelled (IEG's
  meta-gradients and weights);
- :func:`split_histogram`: histograms of any per-sample value for clean vs mislabelled samples
  (IEG's ω* over training);
- :func:`show_image`: one image, dark on light, without ticks;
- :func:`image_grid`: a grid of small images with row and column labels and outlined boxes
  (SANM's masked views and reconstructions);
- :func:`activation_overlay`: an image with an activation map over it and its extremes marked
  (SANM's Figure 1 and AMG).

:func:`epoch_axis` and :func:`series_colours` help a notebook's own figures look the same.

Titles and captions name the noise convention and rate: :func:`noise_caption` writes them from a
record (``symmetric, r = 0.6 (60.0 % of labels changed)``).

Every name is importable from ``lnl.plot``; it lives in one of these sub-modules. The shared core:
:mod:`~lnl.plot.style` (the style, colours, history keys' labels and units, captions),
:mod:`~lnl.plot.figures` (the shared figures above that draw on axes) and :mod:`~lnl.plot.images`
(:func:`show_image`, :func:`image_grid`, :func:`activation_overlay`). One module per book chapter holds
its pages' own figures: :mod:`~lnl.plot.foundations`, :mod:`~lnl.plot.baselines`, :mod:`~lnl.plot.mixnn`,
:mod:`~lnl.plot.alr`, :mod:`~lnl.plot.sanm`, :mod:`~lnl.plot.ieg` and :mod:`~lnl.plot.detection`; the
leaderboard's, :func:`accuracy_cost`, is in :mod:`~lnl.plot.leaderboard`. Importing ``lnl.plot`` imports
neither matplotlib nor the method registry: each figure imports what it draws with.
"""

from lnl.plot.alr import (ablation_curves, arm_panels, campaign_curves, clean_tsne, hardening_curve, memorisation_grid,
                          phase_boundary, target_trajectories)
from lnl.plot.baselines import (class_bars, codivide_history, coteaching_history, detection_curves, elr_history,
                                elr_tug, keep_schedules, mixmatch_grid, refine_grid, selection_scatter, sharpen_bars)
from lnl.plot.detection import detection_auroc_curves, flagged_gallery
from lnl.plot.figures import (BREAKDOWN_COLOURS, history_curves, loss_histogram, memorisation_bars, simplex_grid,
                              simplex_heatmap, split_bars, split_histogram, transition_heatmap)
from lnl.plot.foundations import (gradient_pull, memorisation_pair, split_and_accuracy, split_over_epochs, split_panels,
                                  transition_gallery)
from lnl.plot.ieg import (cell_curves, history_pair, ieg_coefficient_histograms, ieg_confidence_histograms, ieg_ladder,
                          ieg_loss_terms, ieg_meta_bars, ieg_mixup_examples, ieg_omega_curves, ieg_probe_sweep,
                          ieg_pseudo_label_bars, ieg_relabel_scatter, ieg_views, ieg_virtual_bars,
                          ieg_weight_histograms)
from lnl.plot.images import activation_overlay, image_grid, show_image
from lnl.plot.leaderboard import accuracy_cost
from lnl.plot.mixnn import mixing_cases, phase_lines, sweep_curves, tsne_map
from lnl.plot.sanm import (SANM_FORM_ROWS, campaign_accuracy, sanm_activation_maps, sanm_cell_curves,
                           sanm_clean_probability, sanm_focus_grid, sanm_forms_grid, sanm_ladder_curve,
                           sanm_masked_pair, sanm_nlr_bars, sanm_ratio_controls, sanm_ratios, sanm_reconstruction_curve,
                           sanm_trace_grid, sanm_w_detector)
from lnl.plot.style import (CLEAN_COLOUR, KEY_LABELS, KEY_UNITS, METHOD_COLOURS, NOISY_COLOUR, SPARE_COLOURS,
                            SPLIT_COLOURS, TEST_COLOUR, apply_style, epoch_axis, key_unit, noise_caption,
                            series_colours)

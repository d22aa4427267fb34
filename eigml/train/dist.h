/* dist.h: data-parallel training over MPI — the ranks of a job, collectives
 * that give up after a deadline, and the bucketed gradient all-reduce
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One process (rank) drives one device. Every collective here is
 * non-blocking underneath and polled against a deadline (EIGML_MPI_TIMEOUT
 * seconds, default 60): a rank that died or hangs makes the others stop the
 * job with MPI_Abort and a message naming it, instead of waiting forever.
 * To name it, each collective is preceded by a one-integer "arrival token"
 * from every rank to every other; the ranks whose token did not come are
 * the ones reported. docs/scaling.md describes the design.
 *
 * Without MPI at build time (meson -Dmpi=disabled) the functions exist,
 * eigml_dist_init() fails with a clear error and nothing else is reachable.
 */
#pragma once

#include <glib.h>
#include "engine/graph.h"
#include "engine/params.h"

G_BEGIN_DECLS

typedef struct _EigmlDist EigmlDist;
typedef struct _EigmlGradSync EigmlGradSync;

/* Whether this build has MPI. */
gboolean eigml_dist_available (void);
/* Whether an MPI launcher (mpirun, srun, ...) started this process, and
 * the job's size it announces (0 when it does not say). */
gboolean eigml_dist_launched (guint *size);

/* MPI_Init_thread (MPI_THREAD_SERIALIZED: the trainer calls MPI from its
 * worker thread, one call at a time). */
EigmlDist *eigml_dist_init (GError **error);
/* MPI_Finalize. */
void eigml_dist_finalize (EigmlDist *dist);

guint eigml_dist_get_rank (EigmlDist *dist);
guint eigml_dist_get_size (EigmlDist *dist);
/* the rank among the ranks of this host (MPI_COMM_TYPE_SHARED) */
guint eigml_dist_get_local_rank (EigmlDist *dist);
guint eigml_dist_get_local_size (EigmlDist *dist);
double eigml_dist_get_timeout (EigmlDist *dist);

/* Prints "eigml: rank R of N: MESSAGE" on stderr and ends the whole job
 * (MPI_Abort) with @code. */
G_NORETURN void eigml_dist_abort (EigmlDist *dist,
                                  int code,
                                  const char *format,
                                  ...) G_GNUC_PRINTF (3, 4);

/* Collectives; @what names the collective in the message of a timeout
 * ("the gradient all-reduce of step 12"). */
void eigml_dist_bcast (EigmlDist *dist,
                       void *data,
                       gsize n_bytes,
                       const char *what);
gboolean eigml_dist_bcast_buffer (EigmlDist *dist,
                                  EigmlBuffer *buffer,
                                  gsize n_bytes,
                                  const char *what,
                                  GError **error);
void eigml_dist_allreduce_sum (EigmlDist *dist,
                               double *values,
                               guint n,
                               const char *what);
/* TRUE when every rank passed the same @value; else an error naming the
 * ranks whose value differs from rank 0's. */
gboolean eigml_dist_check_same (EigmlDist *dist,
                                guint64 value,
                                const char *what,
                                GError **error);
/* Rank 0 gets every rank's @mine, by rank (size N); the others get NULL. */
GBytes **eigml_dist_gather (EigmlDist *dist,
                            GBytes *mine,
                            const char *what);
void eigml_dist_barrier (EigmlDist *dist,
                         const char *what);

/* The gradient all-reduce of one optimizer step over @store's flat
 * gradient buffer, in buckets of about @bucket_bytes taken from the end of
 * the buffer (the heads, whose gradients backward finishes first). Where
 * @graph's backend computes node by node on the host (CPU), a bucket's
 * MPI_Iallreduce is posted as soon as the graph node that completes its
 * last gradient has run, so communication overlaps the rest of backward;
 * elsewhere (Vulkan: one command buffer per graph) every bucket is reduced
 * after the graph, through host memory. The result is the SUM over ranks:
 * the trainer scales the loss by 1/N before backward, so it is the mean. */
EigmlGradSync *eigml_grad_sync_new (EigmlDist *dist,
                                    EigmlParamStore *store,
                                    EigmlGraph *graph,
                                    gsize bucket_bytes);
void eigml_grad_sync_free (EigmlGradSync *sync);
gboolean eigml_grad_sync_overlaps (EigmlGradSync *sync);
guint eigml_grad_sync_get_n_buckets (EigmlGradSync *sync);
/* Call before computing the step's last micro-batch. */
void eigml_grad_sync_begin (EigmlGradSync *sync,
                            guint64 step);
/* Call after it: reduces what is left, and sums @extra (the loss terms,
 * a stop flag) over the ranks in the same wait. */
gboolean eigml_grad_sync_finish (EigmlGradSync *sync,
                                 double *extra,
                                 guint n_extra,
                                 GError **error);

/* FNV-1a of @n_bytes of @buffer: the ranks' weights must agree. */
gboolean eigml_dist_hash_buffer (EigmlBuffer *buffer,
                                 gsize n_bytes,
                                 guint64 *hash,
                                 GError **error);

G_END_DECLS

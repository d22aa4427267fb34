/* backend.h: the interface every compute backend implements
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A backend owns device memory (EigmlBuffer) and runs prepared graphs. The
 * graph layer plans memory and hands the backend a list of nodes whose
 * inputs and outputs already have a buffer and an offset; the backend
 * turns that list into kernel launches (CPU) or one recorded command buffer
 * (Vulkan).
 */
#pragma once

#include <glib.h>
#include "eigml-types.h"

G_BEGIN_DECLS

typedef struct _EigmlBackend EigmlBackend;
typedef struct _EigmlBuffer EigmlBuffer;
typedef struct _EigmlGraph EigmlGraph;
typedef struct _EigmlNode EigmlNode;

typedef struct
{
  const char *name;

  void (*free) (EigmlBackend *backend);

  /* Device memory. A buffer is at least @size bytes; host_ptr is set when
   * the host can address it directly (CPU memory, or mapped Vulkan memory). */
  EigmlBuffer *(*buffer_new) (EigmlBackend *backend,
                              gsize size,
                              GError **error);
  void (*buffer_free) (EigmlBackend *backend,
                       EigmlBuffer *buffer);
  gboolean (*buffer_write) (EigmlBackend *backend,
                            EigmlBuffer *buffer,
                            gsize offset,
                            const void *data,
                            gsize size,
                            GError **error);
  gboolean (*buffer_read) (EigmlBackend *backend,
                           EigmlBuffer *buffer,
                           gsize offset,
                           void *data,
                           gsize size,
                           GError **error);
  /* Fills @size bytes (a multiple of 4) with a 32-bit pattern. */
  gboolean (*buffer_fill) (EigmlBackend *backend,
                           EigmlBuffer *buffer,
                           gsize offset,
                           gsize size,
                           guint32 pattern,
                           GError **error);

  /* Graphs: check that every node can run here (at graph build, never a
   * silent fallback), then prepare once after memory planning, then compute
   * any number of times. graph->backend_data is the backend's to use. */
  gboolean (*supports_node) (EigmlBackend *backend,
                             const EigmlNode *node,
                             GError **error);
  gboolean (*graph_prepare) (EigmlBackend *backend,
                             EigmlGraph *graph,
                             GError **error);
  gboolean (*graph_compute) (EigmlBackend *backend,
                             EigmlGraph *graph,
                             GError **error);
  void (*graph_release) (EigmlBackend *backend,
                         EigmlGraph *graph);
} EigmlBackendVTable;

struct _EigmlBackend
{
  const EigmlBackendVTable *vtable;
  EigmlBackendKind kind;
  char *device_name;
  gboolean is_software;
  /* Every tensor offset is a multiple of this (power of two). */
  gsize alignment;
  /* The largest tensor, in bytes, one kernel can address. */
  gsize max_tensor_bytes;
};

struct _EigmlBuffer
{
  EigmlBackend *backend;
  gsize size;
  guint8 *host_ptr;
};

EigmlBackend *eigml_cpu_backend_new (GError **error);
const char *eigml_cpu_blas_better_coretype (void);
/* For programs: when OpenBLAS fell back to its generic kernels on a CPU it
 * did not recognise, start the program again (execv of /proc/self/exe with
 * @argv) with OPENBLAS_CORETYPE set; returns when nothing is to be done or
 * the exec failed (then the generic kernels run). */
void eigml_cpu_blas_reexec_if_generic (char **argv);
#ifdef HAVE_VULKAN
EigmlBackend *eigml_vulkan_backend_new (gboolean allow_software,
                                        const char *device_selector,
                                        GError **error);
char **eigml_vulkan_list_devices (GError **error);
#endif

void eigml_backend_free (EigmlBackend *backend);
EigmlBuffer *eigml_buffer_new (EigmlBackend *backend,
                               gsize size,
                               GError **error);
void eigml_buffer_free (EigmlBuffer *buffer);
gboolean eigml_buffer_write (EigmlBuffer *buffer,
                             gsize offset,
                             const void *data,
                             gsize size,
                             GError **error);
gboolean eigml_buffer_read (EigmlBuffer *buffer,
                            gsize offset,
                            void *data,
                            gsize size,
                            GError **error);
gboolean eigml_buffer_fill (EigmlBuffer *buffer,
                            gsize offset,
                            gsize size,
                            guint32 pattern,
                            GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlBuffer, eigml_buffer_free)

G_END_DECLS

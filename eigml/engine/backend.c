/* backend.c: thin wrappers over the backend vtable, with range checks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "backend.h"
#include "eigml-error.h"

void
eigml_backend_free (EigmlBackend *backend)
{
  if (backend != NULL)
    backend->vtable->free (backend);
}

EigmlBuffer *
eigml_buffer_new (EigmlBackend *backend,
                  gsize size,
                  GError **error)
{
  return backend->vtable->buffer_new (backend, size, error);
}

void
eigml_buffer_free (EigmlBuffer *buffer)
{
  if (buffer != NULL)
    buffer->backend->vtable->buffer_free (buffer->backend, buffer);
}

static gboolean
check_range (EigmlBuffer *buffer,
             gsize offset,
             gsize size,
             GError **error)
{
  if (offset > buffer->size || size > buffer->size - offset)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                   "buffer access [%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") is outside a buffer of %"
                   G_GSIZE_FORMAT " bytes", offset, offset + size, buffer->size);
      return FALSE;
    }
  return TRUE;
}

gboolean
eigml_buffer_write (EigmlBuffer *buffer,
                    gsize offset,
                    const void *data,
                    gsize size,
                    GError **error)
{
  if (size == 0)
    return TRUE;
  return check_range (buffer, offset, size, error) &&
         buffer->backend->vtable->buffer_write (buffer->backend, buffer, offset, data, size, error);
}

gboolean
eigml_buffer_read (EigmlBuffer *buffer,
                   gsize offset,
                   void *data,
                   gsize size,
                   GError **error)
{
  if (size == 0)
    return TRUE;
  return check_range (buffer, offset, size, error) &&
         buffer->backend->vtable->buffer_read (buffer->backend, buffer, offset, data, size, error);
}

gboolean
eigml_buffer_fill (EigmlBuffer *buffer,
                   gsize offset,
                   gsize size,
                   guint32 pattern,
                   GError **error)
{
  if (size == 0)
    return TRUE;
  if ((offset | size) & 3)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "buffer fill needs 4-byte alignment (offset %" G_GSIZE_FORMAT ", size %"
                   G_GSIZE_FORMAT ")", offset, size);
      return FALSE;
    }
  return check_range (buffer, offset, size, error) &&
         buffer->backend->vtable->buffer_fill (buffer->backend, buffer, offset, size, pattern,
                                               error);
}

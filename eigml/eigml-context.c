/* eigml-context.c: a compute backend and its device
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-context-private.h"
#include "eigml-enum-types.h"
#include "eigml-error.h"

/**
 * EigmlContext:
 *
 * The compute backend that runs Eigml's graphs, and its device.
 *
 * A context is created with eigml_context_new(), which is fallible because
 * the requested backend may not exist on this machine. The backend is chosen
 * from #EigmlContext:backend, and two environment variables override the
 * choice of the program:
 *
 * - `EIGML_BACKEND` = `auto`, `cpu` or `vulkan` replaces the requested backend;
 * - `EIGML_VULKAN_DEVICE` picks the Vulkan device by index (as listed by
 *   `eigml info`) or by a case-insensitive part of its name.
 *
 * With %EIGML_BACKEND_AUTO a discrete, integrated or virtual GPU is taken when
 * Vulkan offers one, and the CPU backend otherwise; a software Vulkan device
 * such as Mesa's lavapipe is slower than the CPU backend and is used only when
 * %EIGML_BACKEND_VULKAN is asked for.
 *
 * Since: 1.0
 */
struct _EigmlContext
{
  GObject parent_instance;

  EigmlBackendKind requested;
  EigmlBackend *backend;
};

static void eigml_context_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EigmlContext, eigml_context, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      eigml_context_initable_iface_init))

enum
{
  PROP_0,
  PROP_BACKEND,
  PROP_DEVICE_NAME,
  PROP_IS_SOFTWARE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
eigml_context_finalize (GObject *object)
{
  EigmlContext *self = EIGML_CONTEXT (object);

  g_clear_pointer (&self->backend, eigml_backend_free);
  G_OBJECT_CLASS (eigml_context_parent_class)->finalize (object);
}

static void
eigml_context_get_property (GObject *object,
                            guint prop_id,
                            GValue *value,
                            GParamSpec *pspec)
{
  EigmlContext *self = EIGML_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_BACKEND:
      g_value_set_enum (value, eigml_context_get_backend (self));
      break;
    case PROP_DEVICE_NAME:
      g_value_set_string (value, eigml_context_get_device_name (self));
      break;
    case PROP_IS_SOFTWARE:
      g_value_set_boolean (value, eigml_context_get_is_software (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_context_set_property (GObject *object,
                            guint prop_id,
                            const GValue *value,
                            GParamSpec *pspec)
{
  EigmlContext *self = EIGML_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_BACKEND:
      self->requested = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_context_class_init (EigmlContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = eigml_context_finalize;
  object_class->get_property = eigml_context_get_property;
  object_class->set_property = eigml_context_set_property;

  /**
   * EigmlContext:backend:
   *
   * The backend asked for at construction; once the context is initialised
   * it reads back as the backend actually in use (never %EIGML_BACKEND_AUTO).
   *
   * Since: 1.0
   */
  props[PROP_BACKEND] =
    g_param_spec_enum ("backend", NULL, NULL,
                       EIGML_TYPE_BACKEND_KIND, EIGML_BACKEND_AUTO,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /**
   * EigmlContext:device-name:
   *
   * A human-readable name of the device, such as the Vulkan device name or
   * "CPU (OpenBLAS, 2 threads)".
   *
   * Since: 1.0
   */
  props[PROP_DEVICE_NAME] =
    g_param_spec_string ("device-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * EigmlContext:is-software:
   *
   * Whether the device is a software rasteriser running on the CPU (such as
   * lavapipe); such devices are correct but slow.
   *
   * Since: 1.0
   */
  props[PROP_IS_SOFTWARE] =
    g_param_spec_boolean ("is-software", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
eigml_context_init (EigmlContext *self)
{
}

static gboolean
eigml_context_initable_init (GInitable *initable,
                             GCancellable *cancellable,
                             GError **error)
{
  EigmlContext *self = EIGML_CONTEXT (initable);
  EigmlBackendKind kind = self->requested;
  const char *env_backend = g_getenv ("EIGML_BACKEND");
  const char *env_device = g_getenv ("EIGML_VULKAN_DEVICE");

  if (self->backend != NULL)
    return TRUE;
  if (env_backend != NULL && *env_backend != '\0')
    {
      g_autoptr (GError) local_error = NULL;
      if (!eigml_backend_kind_from_string (env_backend, &kind, &local_error))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                       "EIGML_BACKEND: %s", local_error->message);
          return FALSE;
        }
    }
  if (env_device != NULL && *env_device == '\0')
    env_device = NULL;

  switch (kind)
    {
    case EIGML_BACKEND_CPU:
      self->backend = eigml_cpu_backend_new (error);
      break;

    case EIGML_BACKEND_VULKAN:
#ifdef HAVE_VULKAN
      self->backend = eigml_vulkan_backend_new (TRUE, env_device, error);
#else
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE,
                   "this build of Eigml has no Vulkan backend (configured with -Dvulkan=disabled "
                   "or without libvulkan-dev/glslang-tools)");
#endif
      break;

    case EIGML_BACKEND_AUTO:
    default:
#ifdef HAVE_VULKAN
      {
        g_autoptr (GError) vk_error = NULL;
        self->backend = eigml_vulkan_backend_new (env_device != NULL, env_device, &vk_error);
        if (self->backend == NULL)
          {
            if (env_device != NULL)
              {
                g_propagate_error (error, g_steal_pointer (&vk_error));
                return FALSE;
              }
            g_debug ("auto backend: no GPU (%s); using the CPU backend", vk_error->message);
          }
      }
#endif
      if (self->backend == NULL)
        self->backend = eigml_cpu_backend_new (error);
      break;
    }
  return self->backend != NULL;
}

static void
eigml_context_initable_iface_init (GInitableIface *iface)
{
  iface->init = eigml_context_initable_init;
}

/**
 * eigml_context_new:
 * @backend: the backend to use; `EIGML_BACKEND` in the environment overrides it
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Creates a context on the requested backend. Asking for
 * %EIGML_BACKEND_VULKAN where no Vulkan device can be used fails with
 * %EIGML_ERROR_NO_DEVICE and a message saying what was found.
 *
 * Returns: (transfer full) (nullable): a new context
 *
 * Since: 1.0
 */
EigmlContext *
eigml_context_new (EigmlBackendKind backend,
                   GCancellable *cancellable,
                   GError **error)
{
  return g_initable_new (EIGML_TYPE_CONTEXT, cancellable, error, "backend", backend, NULL);
}

/**
 * eigml_context_get_backend:
 * @self: a context
 *
 * Returns: the backend in use (%EIGML_BACKEND_CPU or %EIGML_BACKEND_VULKAN),
 *   or the requested one before initialisation
 *
 * Since: 1.0
 */
EigmlBackendKind
eigml_context_get_backend (EigmlContext *self)
{
  g_return_val_if_fail (EIGML_IS_CONTEXT (self), EIGML_BACKEND_AUTO);
  return self->backend ? self->backend->kind : self->requested;
}

/**
 * eigml_context_get_device_name:
 * @self: a context
 *
 * Returns: (nullable): the name of the device, or %NULL before initialisation
 *
 * Since: 1.0
 */
const char *
eigml_context_get_device_name (EigmlContext *self)
{
  g_return_val_if_fail (EIGML_IS_CONTEXT (self), NULL);
  return self->backend ? self->backend->device_name : NULL;
}

/**
 * eigml_context_get_is_software:
 * @self: a context
 *
 * Returns: whether the device is a software implementation (lavapipe)
 *
 * Since: 1.0
 */
gboolean
eigml_context_get_is_software (EigmlContext *self)
{
  g_return_val_if_fail (EIGML_IS_CONTEXT (self), FALSE);
  return self->backend ? self->backend->is_software : FALSE;
}

EigmlBackend *
eigml_context_get_backend_impl (EigmlContext *self)
{
  g_return_val_if_fail (EIGML_IS_CONTEXT (self), NULL);
  return self->backend;
}

/**
 * eigml_list_vulkan_devices:
 * @error: return location for a #GError
 *
 * Lists the Vulkan devices of this machine, one string each:
 * "index: name (type, Vulkan version)".
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the devices
 *
 * Since: 1.0
 */
char **
eigml_list_vulkan_devices (GError **error)
{
#ifdef HAVE_VULKAN
  return eigml_vulkan_list_devices (error);
#else
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE,
               "this build of Eigml has no Vulkan backend");
  return NULL;
#endif
}

/**
 * eigml_backend_kind_to_string:
 * @kind: a backend kind
 *
 * Returns: (transfer none): "auto", "cpu" or "vulkan"
 *
 * Since: 1.0
 */
const char *
eigml_backend_kind_to_string (EigmlBackendKind kind)
{
  switch (kind)
    {
    case EIGML_BACKEND_AUTO:
      return "auto";
    case EIGML_BACKEND_CPU:
      return "cpu";
    case EIGML_BACKEND_VULKAN:
      return "vulkan";
    default:
      return "invalid";
    }
}

/**
 * eigml_backend_kind_from_string:
 * @name: "auto", "cpu" or "vulkan" (case-insensitive)
 * @kind: (out): return location for the kind
 * @error: return location for a #GError
 *
 * Returns: %TRUE if @name names a backend
 *
 * Since: 1.0
 */
gboolean
eigml_backend_kind_from_string (const char *name,
                                EigmlBackendKind *kind,
                                GError **error)
{
  static const EigmlBackendKind kinds[] = { EIGML_BACKEND_AUTO, EIGML_BACKEND_CPU,
                                            EIGML_BACKEND_VULKAN };

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (kind != NULL, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_ascii_strcasecmp (name, eigml_backend_kind_to_string (kinds[i])) == 0)
      {
        *kind = kinds[i];
        return TRUE;
      }
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
               "unknown backend '%s' (expected auto, cpu or vulkan)", name);
  return FALSE;
}

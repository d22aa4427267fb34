/* vulkan-device.c: instance, device choice, feature probe, backend life cycle
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Devices are ranked discrete > integrated > virtual > CPU; a CPU-type
 * (software) device such as lavapipe is taken only when the caller allows
 * it, that is when the vulkan backend was asked for by name. A selector
 * (EIGML_VULKAN_DEVICE) narrows the choice to one index or to the devices
 * whose name contains it, case-insensitively.
 */
#include "config.h"

#include "vulkan-private.h"
#include "eigml-error.h"

#include <string.h>

/* ---- results and names --------------------------------------------------- */

const char *
eigml_vk_result_to_string (VkResult result)
{
  switch (result)
    {
#define R(x) case x: return #x
      R (VK_SUCCESS);
      R (VK_NOT_READY);
      R (VK_TIMEOUT);
      R (VK_EVENT_SET);
      R (VK_EVENT_RESET);
      R (VK_INCOMPLETE);
      R (VK_ERROR_OUT_OF_HOST_MEMORY);
      R (VK_ERROR_OUT_OF_DEVICE_MEMORY);
      R (VK_ERROR_INITIALIZATION_FAILED);
      R (VK_ERROR_DEVICE_LOST);
      R (VK_ERROR_MEMORY_MAP_FAILED);
      R (VK_ERROR_LAYER_NOT_PRESENT);
      R (VK_ERROR_EXTENSION_NOT_PRESENT);
      R (VK_ERROR_FEATURE_NOT_PRESENT);
      R (VK_ERROR_INCOMPATIBLE_DRIVER);
      R (VK_ERROR_TOO_MANY_OBJECTS);
      R (VK_ERROR_FORMAT_NOT_SUPPORTED);
      R (VK_ERROR_FRAGMENTED_POOL);
      R (VK_ERROR_UNKNOWN);
      R (VK_ERROR_OUT_OF_POOL_MEMORY);
      R (VK_ERROR_INVALID_EXTERNAL_HANDLE);
      R (VK_ERROR_FRAGMENTATION);
      R (VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS);
      R (VK_PIPELINE_COMPILE_REQUIRED);
      R (VK_ERROR_VALIDATION_FAILED_EXT);
      R (VK_ERROR_INVALID_SHADER_NV);
      R (VK_ERROR_NOT_PERMITTED_KHR);
#undef R
    default:
      return "VK_ERROR_(unknown)";
    }
}

gboolean
eigml_vk_check (VkResult result,
                const char *what,
                GError **error)
{
  EigmlError code = EIGML_ERROR_DEVICE;

  if (result == VK_SUCCESS)
    return TRUE;
  if (result == VK_ERROR_OUT_OF_HOST_MEMORY || result == VK_ERROR_OUT_OF_DEVICE_MEMORY ||
      result == VK_ERROR_OUT_OF_POOL_MEMORY || result == VK_ERROR_FRAGMENTATION)
    code = EIGML_ERROR_OUT_OF_MEMORY;
  g_set_error (error, EIGML_ERROR, code, "%s failed: %s (%d)", what,
               eigml_vk_result_to_string (result), (int) result);
  return FALSE;
}

const char *
eigml_vk_device_type_to_string (VkPhysicalDeviceType type)
{
  switch (type)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return "software";
    case VK_PHYSICAL_DEVICE_TYPE_OTHER:
    default:
      return "other";
    }
}

static int
device_type_rank (VkPhysicalDeviceType type)
{
  switch (type)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return 4;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return 3;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return 1;
    case VK_PHYSICAL_DEVICE_TYPE_OTHER:
    default:
      return 0;
    }
}

static gboolean
env_flag (const char *name)
{
  const char *v = g_getenv (name);

  return v != NULL && (g_str_equal (v, "1") || g_ascii_strcasecmp (v, "yes") == 0 ||
                       g_ascii_strcasecmp (v, "true") == 0);
}

/* ---- instance ------------------------------------------------------------ */

static VkBool32 VKAPI_PTR
debug_messenger_cb (VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                    VkDebugUtilsMessageTypeFlagsEXT types,
                    const VkDebugUtilsMessengerCallbackDataEXT *data,
                    void *user_data)
{
  const char *msg = data != NULL && data->pMessage != NULL ? data->pMessage : "(no message)";

  /* The loader's own notes (a missing driver file: reported as a GError
   * anyway) are not validation failures. */
  if (data != NULL && data->pMessageIdName != NULL &&
      g_str_has_prefix (data->pMessageIdName, "Loader Message"))
    g_debug ("Vulkan loader: %s", msg);
  /* Tests run with fatal warnings: any validation complaint fails them. */
  else if (severity & (VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT))
    g_warning ("Vulkan validation: %s", msg);
  else
    g_debug ("Vulkan: %s", msg);
  return VK_FALSE;
}

static gboolean
has_layer (const char *name)
{
  guint32 n = 0;
  g_autofree VkLayerProperties *layers = NULL;

  if (vkEnumerateInstanceLayerProperties (&n, NULL) != VK_SUCCESS)
    return FALSE;
  layers = g_new0 (VkLayerProperties, MAX (n, 1));
  if (vkEnumerateInstanceLayerProperties (&n, layers) != VK_SUCCESS)
    return FALSE;
  for (guint32 i = 0; i < n; i++)
    if (g_str_equal (layers[i].layerName, name))
      return TRUE;
  return FALSE;
}

static gboolean
has_layer_extension (const char *layer,
                     const char *name)
{
  guint32 n = 0;
  g_autofree VkExtensionProperties *exts = NULL;

  if (vkEnumerateInstanceExtensionProperties (layer, &n, NULL) != VK_SUCCESS)
    return FALSE;
  exts = g_new0 (VkExtensionProperties, MAX (n, 1));
  if (vkEnumerateInstanceExtensionProperties (layer, &n, exts) != VK_SUCCESS)
    return FALSE;
  for (guint32 i = 0; i < n; i++)
    if (g_str_equal (exts[i].extensionName, name))
      return TRUE;
  return FALSE;
}

static gboolean
has_instance_extension (const char *name)
{
  return has_layer_extension (NULL, name);
}

static VkInstance
create_instance (guint32 *api_version_out,
                 gboolean validation,
                 GError **error)
{
  guint32 loader_version = VK_API_VERSION_1_0;
  guint32 api_version;
  const char *layers[1];
  const char *extensions[3];
  VkValidationFeatureEnableEXT sync_validation =
    VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
  VkValidationFeaturesEXT validation_features = {
    .sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
    .enabledValidationFeatureCount = 1,
    .pEnabledValidationFeatures = &sync_validation,
  };
  guint n_layers = 0, n_extensions = 0;
  VkDebugUtilsMessengerCreateInfoEXT messenger_info = {
    .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
    .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
    .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                   VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                   VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
    .pfnUserCallback = debug_messenger_cb,
  };
  VkApplicationInfo app = {
    .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
    .pApplicationName = "eigml",
    .pEngineName = "eigml",
    .engineVersion = VK_MAKE_API_VERSION (0, 0, 1, 0),
  };
  VkInstanceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
    .pApplicationInfo = &app,
  };
  VkInstance instance = VK_NULL_HANDLE;
  VkResult r;

  if (vkEnumerateInstanceVersion (&loader_version) != VK_SUCCESS)
    loader_version = VK_API_VERSION_1_0;
  if (loader_version < VK_API_VERSION_1_1)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE,
                   "no Vulkan device: the Vulkan loader supports only Vulkan %u.%u; 1.1 is needed",
                   VK_API_VERSION_MAJOR (loader_version), VK_API_VERSION_MINOR (loader_version));
      return VK_NULL_HANDLE;
    }
  api_version = MIN (loader_version, VK_API_VERSION_1_3);
  app.apiVersion = api_version;

  if (validation)
    {
      if (has_layer ("VK_LAYER_KHRONOS_validation"))
        {
          layers[n_layers++] = "VK_LAYER_KHRONOS_validation";
          /* synchronization validation too: a missing barrier is an error */
          if (has_layer_extension ("VK_LAYER_KHRONOS_validation",
                                   VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME))
            {
              extensions[n_extensions++] = VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME;
              validation_features.pNext = info.pNext;
              info.pNext = &validation_features;
            }
        }
      else
        g_warning ("EIGML_VULKAN_VALIDATION is set but VK_LAYER_KHRONOS_validation is not "
                   "installed (Debian: vulkan-validationlayers)");
      if (has_instance_extension (VK_EXT_DEBUG_UTILS_EXTENSION_NAME))
        {
          extensions[n_extensions++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
          messenger_info.pNext = info.pNext;
          info.pNext = &messenger_info;
        }
    }
  if (has_instance_extension ("VK_KHR_portability_enumeration"))
    {
      /* MoltenVK and other layered drivers list themselves only then. */
      extensions[n_extensions++] = "VK_KHR_portability_enumeration";
      info.flags |= 0x00000001; /* VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR */
    }
  info.enabledLayerCount = n_layers;
  info.ppEnabledLayerNames = n_layers ? layers : NULL;
  info.enabledExtensionCount = n_extensions;
  info.ppEnabledExtensionNames = n_extensions ? extensions : NULL;

  r = vkCreateInstance (&info, NULL, &instance);
  if (r != VK_SUCCESS)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE,
                   "no Vulkan device: vkCreateInstance failed: %s%s",
                   eigml_vk_result_to_string (r),
                   r == VK_ERROR_INCOMPATIBLE_DRIVER
                     ? " (the Vulkan loader found no driver; check VK_ICD_FILENAMES / "
                       "VK_DRIVER_FILES or install one, e.g. mesa-vulkan-drivers)"
                     : "");
      return VK_NULL_HANDLE;
    }
  *api_version_out = api_version;
  return instance;
}

static VkPhysicalDevice *
enumerate_devices (VkInstance instance,
                   guint32 *n_out,
                   GError **error)
{
  guint32 n = 0;
  g_autofree VkPhysicalDevice *devices = NULL;
  VkResult r;

  r = vkEnumeratePhysicalDevices (instance, &n, NULL);
  if (r != VK_SUCCESS && r != VK_INCOMPLETE)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE,
                   "no Vulkan device: vkEnumeratePhysicalDevices failed: %s",
                   eigml_vk_result_to_string (r));
      return NULL;
    }
  devices = g_new0 (VkPhysicalDevice, MAX (n, 1));
  r = vkEnumeratePhysicalDevices (instance, &n, devices);
  if (r != VK_SUCCESS && r != VK_INCOMPLETE)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE,
                   "no Vulkan device: vkEnumeratePhysicalDevices failed: %s",
                   eigml_vk_result_to_string (r));
      return NULL;
    }
  *n_out = n;
  return g_steal_pointer (&devices);
}

static char *
describe_device (guint index,
                 const VkPhysicalDeviceProperties *p)
{
  return g_strdup_printf ("%u: %s (%s, Vulkan %u.%u.%u)", index, p->deviceName,
                          eigml_vk_device_type_to_string (p->deviceType),
                          VK_API_VERSION_MAJOR (p->apiVersion),
                          VK_API_VERSION_MINOR (p->apiVersion),
                          VK_API_VERSION_PATCH (p->apiVersion));
}

char **
eigml_vulkan_list_devices (GError **error)
{
  VkInstance instance;
  guint32 api_version = 0, n = 0;
  g_autofree VkPhysicalDevice *devices = NULL;
  GPtrArray *out;

  instance = create_instance (&api_version, FALSE, error);
  if (instance == VK_NULL_HANDLE)
    return NULL;
  devices = enumerate_devices (instance, &n, error);
  if (devices == NULL)
    {
      vkDestroyInstance (instance, NULL);
      return NULL;
    }
  out = g_ptr_array_new ();
  for (guint32 i = 0; i < n; i++)
    {
      VkPhysicalDeviceProperties p;
      vkGetPhysicalDeviceProperties (devices[i], &p);
      g_ptr_array_add (out, describe_device (i, &p));
    }
  g_ptr_array_add (out, NULL);
  vkDestroyInstance (instance, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

/* ---- device choice ------------------------------------------------------- */

static gboolean
find_compute_queue (VkPhysicalDevice device,
                    guint32 *family_out)
{
  guint32 n = 0;
  g_autofree VkQueueFamilyProperties *families = NULL;
  gboolean found = FALSE;

  vkGetPhysicalDeviceQueueFamilyProperties (device, &n, NULL);
  families = g_new0 (VkQueueFamilyProperties, MAX (n, 1));
  vkGetPhysicalDeviceQueueFamilyProperties (device, &n, families);
  /* A compute-only family first (async compute engines), else any. */
  for (guint32 i = 0; i < n && !found; i++)
    if ((families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) &&
        !(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) && families[i].queueCount > 0)
      {
        *family_out = i;
        found = TRUE;
      }
  for (guint32 i = 0; i < n && !found; i++)
    if ((families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && families[i].queueCount > 0)
      {
        *family_out = i;
        found = TRUE;
      }
  return found;
}

static gboolean
has_device_extension (VkPhysicalDevice device,
                      const char *name)
{
  guint32 n = 0;
  g_autofree VkExtensionProperties *exts = NULL;

  if (vkEnumerateDeviceExtensionProperties (device, NULL, &n, NULL) != VK_SUCCESS)
    return FALSE;
  exts = g_new0 (VkExtensionProperties, MAX (n, 1));
  if (vkEnumerateDeviceExtensionProperties (device, NULL, &n, exts) != VK_SUCCESS)
    return FALSE;
  for (guint32 i = 0; i < n; i++)
    if (g_str_equal (exts[i].extensionName, name))
      return TRUE;
  return FALSE;
}

static gboolean
selector_matches (const char *selector,
                  guint index,
                  const char *name)
{
  g_autofree char *lower_sel = NULL;
  g_autofree char *lower_name = NULL;
  const char *s;

  for (s = selector; *s != '\0' && g_ascii_isdigit (*s); s++)
    ;
  if (*s == '\0' && s != selector)
    return g_ascii_strtoull (selector, NULL, 10) == index;
  lower_sel = g_ascii_strdown (selector, -1);
  lower_name = g_ascii_strdown (name, -1);
  return strstr (lower_name, lower_sel) != NULL;
}

static VkPhysicalDevice
choose_device (VkInstance instance,
               gboolean allow_software,
               const char *selector,
               guint32 *queue_family_out,
               GError **error)
{
  guint32 n = 0;
  g_autofree VkPhysicalDevice *devices = enumerate_devices (instance, &n, error);
  g_autoptr (GString) found = g_string_new (NULL);
  VkPhysicalDevice best = VK_NULL_HANDLE;
  int best_rank = -1;
  guint n_matching = 0;

  if (devices == NULL)
    return VK_NULL_HANDLE;
  if (n == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE,
                   "no Vulkan device: the Vulkan loader lists no physical device "
                   "(no driver installed, or VK_ICD_FILENAMES / VK_DRIVER_FILES point "
                   "nowhere)");
      return VK_NULL_HANDLE;
    }

  for (guint32 i = 0; i < n; i++)
    {
      VkPhysicalDeviceProperties p;
      const char *skip = NULL;
      guint32 family = 0;

      vkGetPhysicalDeviceProperties (devices[i], &p);
      if (selector != NULL && !selector_matches (selector, i, p.deviceName))
        skip = "does not match the selector";
      else
        n_matching++;
      if (skip != NULL)
        ;
      else if (p.apiVersion < VK_API_VERSION_1_1)
        skip = "skipped: Vulkan 1.1 is needed";
      else if (!find_compute_queue (devices[i], &family))
        skip = "skipped: no compute queue";
      else if (p.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU && !allow_software)
        skip = "skipped because software devices are used only when the vulkan backend is "
               "requested explicitly";

      g_string_append_printf (found, "%s%u: %s (%s, Vulkan %u.%u.%u%s%s)",
                              i ? "; " : "", i, p.deviceName,
                              eigml_vk_device_type_to_string (p.deviceType),
                              VK_API_VERSION_MAJOR (p.apiVersion),
                              VK_API_VERSION_MINOR (p.apiVersion),
                              VK_API_VERSION_PATCH (p.apiVersion),
                              skip ? "; " : "", skip ? skip : "");
      if (skip == NULL && device_type_rank (p.deviceType) > best_rank)
        {
          best = devices[i];
          best_rank = device_type_rank (p.deviceType);
          *queue_family_out = family;
        }
    }

  if (best == VK_NULL_HANDLE)
    {
      if (selector != NULL && n_matching == 0)
        g_set_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE,
                     "no Vulkan device matches the selector '%s' (an index or part of a "
                     "name); found %u device%s: %s", selector, n, n == 1 ? "" : "s", found->str);
      else
        g_set_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE,
                     "no Vulkan device: found %u device%s: %s", n, n == 1 ? "" : "s",
                     found->str);
    }
  return best;
}

static void
probe_features (EigmlVulkanBackend *vk)
{
  VkPhysicalDeviceShaderFloat16Int8Features f16i8 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES,
  };
  VkPhysicalDevice16BitStorageFeatures storage16 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
    .pNext = vk->api_version >= VK_API_VERSION_1_2 ? &f16i8 : NULL,
  };
  VkPhysicalDeviceFeatures2 features = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
    .pNext = &storage16,
  };
  VkPhysicalDeviceSubgroupProperties subgroup = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
  };
  VkPhysicalDeviceMaintenance3Properties maint3 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES,
    .pNext = &subgroup,
  };
  VkPhysicalDeviceProperties2 props = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
    .pNext = &maint3,
  };
  EigmlVulkanFeatures *f = &vk->features;

  vkGetPhysicalDeviceFeatures2 (vk->physical, &features);
  vkGetPhysicalDeviceProperties2 (vk->physical, &props);

  f->fp16_storage = storage16.storageBuffer16BitAccess;
  f->fp16_arithmetic = vk->api_version >= VK_API_VERSION_1_2 && f16i8.shaderFloat16;
  f->subgroup_arithmetic = (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                           (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
  f->subgroup_size = subgroup.subgroupSize;
  f->cooperative_matrix = has_device_extension (vk->physical, "VK_KHR_cooperative_matrix");
  f->push_descriptors = has_device_extension (vk->physical, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
  vk->max_allocation = maint3.maxMemoryAllocationSize ? maint3.maxMemoryAllocationSize
                                                      : (VkDeviceSize) 1 << 30;

  g_debug ("Vulkan device %s: fp16 storage %s, fp16 arithmetic %s, subgroup arithmetic %s "
           "(subgroup size %u), cooperative matrix %s, push descriptors %s",
           vk->props.deviceName, f->fp16_storage ? "yes" : "no",
           f->fp16_arithmetic ? "yes" : "no", f->subgroup_arithmetic ? "yes" : "no",
           f->subgroup_size, f->cooperative_matrix ? "yes" : "no",
           f->push_descriptors ? "yes" : "no");
}

static gboolean
create_device (EigmlVulkanBackend *vk,
               GError **error)
{
  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
    .queueFamilyIndex = vk->queue_family,
    .queueCount = 1,
    .pQueuePriorities = &priority,
  };
  const char *extensions[1];
  guint n_extensions = 0;
  gboolean use_push = vk->features.push_descriptors &&
                      !env_flag ("EIGML_VULKAN_NO_PUSH_DESCRIPTORS");
  VkDeviceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
    .queueCreateInfoCount = 1,
    .pQueueCreateInfos = &queue_info,
  };

  if (use_push)
    extensions[n_extensions++] = VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME;
  info.enabledExtensionCount = n_extensions;
  info.ppEnabledExtensionNames = n_extensions ? extensions : NULL;
  if (!eigml_vk_check (vkCreateDevice (vk->physical, &info, NULL, &vk->device),
                       "vkCreateDevice", error))
    return FALSE;
  vkGetDeviceQueue (vk->device, vk->queue_family, 0, &vk->queue);
  if (use_push)
    {
      vk->cmd_push_descriptor_set = (PFN_vkCmdPushDescriptorSetKHR)
        vkGetDeviceProcAddr (vk->device, "vkCmdPushDescriptorSetKHR");
      if (vk->cmd_push_descriptor_set == NULL)
        g_debug ("vkCmdPushDescriptorSetKHR is missing; using descriptor pools");
    }
  return TRUE;
}

/* ---- backend ------------------------------------------------------------- */

static void
vk_backend_free (EigmlBackend *backend)
{
  EigmlVulkanBackend *vk = EIGML_VK_BACKEND (backend);

  if (vk->device != VK_NULL_HANDLE)
    {
      /* Nothing is pending unless a wait timed out; then this may block
       * until the driver gives the work up. */
      vkDeviceWaitIdle (vk->device);
      eigml_vk_pipelines_finish (vk);
      eigml_vk_memory_finish (vk);
      vkDestroyDevice (vk->device, NULL);
    }
  if (vk->messenger != VK_NULL_HANDLE && vk->destroy_messenger != NULL)
    vk->destroy_messenger (vk->instance, vk->messenger, NULL);
  if (vk->instance != VK_NULL_HANDLE)
    vkDestroyInstance (vk->instance, NULL);
  g_clear_pointer (&vk->graphs, g_ptr_array_unref);
  g_rec_mutex_clear (&vk->lock);
  g_free (backend->device_name);
  g_free (vk);
}

static const EigmlBackendVTable vulkan_vtable = {
  .name = "vulkan",
  .free = vk_backend_free,
  .buffer_new = eigml_vk_buffer_new,
  .buffer_free = eigml_vk_buffer_free,
  .buffer_write = eigml_vk_buffer_write,
  .buffer_read = eigml_vk_buffer_read,
  .buffer_fill = eigml_vk_buffer_fill,
  .supports_node = eigml_vk_supports_node,
  .graph_prepare = eigml_vk_graph_prepare,
  .graph_compute = eigml_vk_graph_compute,
  .graph_release = eigml_vk_graph_release,
};

static guint64
parse_timeout_ns (void)
{
  const char *env = g_getenv ("EIGML_VULKAN_TIMEOUT_MS");
  guint64 ms = 10 * 60 * 1000;

  if (env != NULL && *env != '\0')
    {
      guint64 v = g_ascii_strtoull (env, NULL, 10);
      if (v > 0)
        ms = v;
    }
  return MIN (ms, G_MAXUINT64 / 1000000) * 1000000;
}

EigmlBackend *
eigml_vulkan_backend_new (gboolean allow_software,
                          const char *device_selector,
                          GError **error)
{
  EigmlVulkanBackend *vk = g_new0 (EigmlVulkanBackend, 1);
  EigmlBackend *backend = &vk->parent;
  gboolean validation = env_flag ("EIGML_VULKAN_VALIDATION");

  backend->vtable = &vulkan_vtable;
  backend->kind = EIGML_BACKEND_VULKAN;
  g_rec_mutex_init (&vk->lock);
  vk->graphs = g_ptr_array_new ();
  vk->timeout_ns = parse_timeout_ns ();
  vk->reorder = !env_flag ("EIGML_VULKAN_NO_REORDER");
  if (device_selector != NULL && *device_selector == '\0')
    device_selector = NULL;

  vk->instance = create_instance (&vk->api_version, validation, error);
  if (vk->instance == VK_NULL_HANDLE)
    goto fail;
  if (validation && has_instance_extension (VK_EXT_DEBUG_UTILS_EXTENSION_NAME))
    {
      PFN_vkCreateDebugUtilsMessengerEXT create = (PFN_vkCreateDebugUtilsMessengerEXT)
        vkGetInstanceProcAddr (vk->instance, "vkCreateDebugUtilsMessengerEXT");
      VkDebugUtilsMessengerCreateInfoEXT info = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = debug_messenger_cb,
      };
      vk->destroy_messenger = (PFN_vkDestroyDebugUtilsMessengerEXT)
        vkGetInstanceProcAddr (vk->instance, "vkDestroyDebugUtilsMessengerEXT");
      if (create == NULL ||
          !eigml_vk_check (create (vk->instance, &info, NULL, &vk->messenger),
                           "vkCreateDebugUtilsMessengerEXT", error))
        goto fail;
    }

  vk->physical = choose_device (vk->instance, allow_software, device_selector,
                                &vk->queue_family, error);
  if (vk->physical == VK_NULL_HANDLE)
    goto fail;
  vkGetPhysicalDeviceProperties (vk->physical, &vk->props);
  vkGetPhysicalDeviceMemoryProperties (vk->physical, &vk->mem_props);
  /* The device may support less than the instance. */
  vk->api_version = MIN (vk->api_version, vk->props.apiVersion);
  probe_features (vk);

  vk->max_storage_range = vk->props.limits.maxStorageBufferRange;
  vk->non_coherent_atom = MAX (vk->props.limits.nonCoherentAtomSize, 1);
  for (int i = 0; i < 3; i++)
    vk->max_group_count[i] = vk->props.limits.maxComputeWorkGroupCount[i];
  {
    /* for tests: small limits exercise 2-d grids and based dispatches */
    const char *env = g_getenv ("EIGML_VULKAN_MAX_GROUP_COUNT");
    guint64 v = env != NULL ? g_ascii_strtoull (env, NULL, 10) : 0;
    if (v > 0)
      for (int i = 0; i < 3; i++)
        vk->max_group_count[i] = (guint32) MIN (vk->max_group_count[i], v);
  }
  vk->max_group_invocations = vk->props.limits.maxComputeWorkGroupInvocations;
  vk->max_shared_memory = vk->props.limits.maxComputeSharedMemorySize;
  if (vk->max_group_invocations < 256 || vk->max_shared_memory < 16384 ||
      vk->props.limits.maxPushConstantsSize < 128 ||
      vk->props.limits.maxComputeWorkGroupSize[0] < 256)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE,
                   "no Vulkan device: %s offers %u invocations per workgroup, %u bytes of "
                   "shared memory and %u bytes of push constants (256, 16384 and 128 needed)",
                   vk->props.deviceName, vk->max_group_invocations, vk->max_shared_memory,
                   vk->props.limits.maxPushConstantsSize);
      goto fail;
    }

  if (!create_device (vk, error))
    goto fail;

  backend->device_name = g_strdup (vk->props.deviceName);
  backend->is_software = vk->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
  backend->alignment = MAX (64, vk->props.limits.minStorageBufferOffsetAlignment);
  if ((backend->alignment & (backend->alignment - 1)) != 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE,
                   "no Vulkan device: %s has a storage buffer alignment of %" G_GSIZE_FORMAT
                   " bytes, not a power of two", vk->props.deviceName, backend->alignment);
      goto fail;
    }

  if (!eigml_vk_memory_init (vk, error))
    goto fail;
  if (!eigml_vk_pipelines_init (vk, error))
    goto fail;

  {
    /* Shaders index with 32-bit words; a tensor stays under 4 GiB. */
    VkDeviceSize max_bytes = MIN (vk->max_storage_range, vk->max_allocation);
    max_bytes = MIN (max_bytes, (VkDeviceSize) G_MAXUINT32 - 3);
    if (vk->api_version >= VK_API_VERSION_1_3)
      {
        VkPhysicalDeviceMaintenance4Properties m4 = {
          .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_4_PROPERTIES,
        };
        VkPhysicalDeviceProperties2 p2 = {
          .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
          .pNext = &m4,
        };
        vkGetPhysicalDeviceProperties2 (vk->physical, &p2);
        if (m4.maxBufferSize > 0)
          max_bytes = MIN (max_bytes, m4.maxBufferSize);
      }
    backend->max_tensor_bytes = (gsize) (max_bytes & ~(VkDeviceSize) 3);
  }

  g_debug ("Vulkan backend on %s (%s, Vulkan %u.%u), alignment %" G_GSIZE_FORMAT
           ", max tensor %" G_GSIZE_FORMAT " bytes, %s, %s",
           backend->device_name, eigml_vk_device_type_to_string (vk->props.deviceType),
           VK_API_VERSION_MAJOR (vk->api_version), VK_API_VERSION_MINOR (vk->api_version),
           backend->alignment, backend->max_tensor_bytes,
           vk->device_mappable ? "mapped memory" : "staging copies",
           vk->cmd_push_descriptor_set ? "push descriptors" : "descriptor pools");
  return backend;

fail:
  vk_backend_free (backend);
  return NULL;
}

gboolean
eigml_vulkan_backend_get_info (EigmlBackend *backend,
                               EigmlVulkanInfo *info)
{
  EigmlVulkanBackend *vk;

  g_return_val_if_fail (info != NULL, FALSE);
  memset (info, 0, sizeof *info);
  if (backend == NULL || backend->kind != EIGML_BACKEND_VULKAN)
    return FALSE;
  vk = EIGML_VK_BACKEND (backend);
  g_rec_mutex_lock (&vk->lock);
  info->features = vk->features;
  info->uses_push_descriptors = vk->cmd_push_descriptor_set != NULL;
  info->uses_staging = !vk->device_mappable;
  info->vendor_id = vk->props.vendorID;
  info->device_id = vk->props.deviceID;
  info->block_size = vk->block_size;
  info->n_blocks = vk->blocks->len;
  info->n_pipelines = g_hash_table_size (vk->pipelines);
  info->cache_status = vk->cache_status;
  info->cache_path = vk->pipeline_cache_path;
  g_rec_mutex_unlock (&vk->lock);
  return TRUE;
}

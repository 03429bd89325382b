// The Vulkan context: device choice by name, a clear error for a device that is not there,
// and the validation layer reporting what a test must never do (here: leak an object).
#include <trocar/render/Context.h>

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <vector>

namespace trocar::render {
namespace {

TEST(Context, PicksTheNamedDeviceCaseInsensitively) {
  ContextSettings s;
  s.gpuName = "LLVMPIPE";
  auto ctx = Context::create(s);
  ASSERT_TRUE(ctx.ok()) << ctx.error().toString();
  EXPECT_NE(ctx.value()->deviceName().find("llvmpipe"), std::string::npos);
  EXPECT_TRUE(ctx.value()->isSoftware());
  EXPECT_TRUE(ctx.value()->timestampsSupported());
}

TEST(Context, UnknownDeviceNameSaysWhichDevicesExist) {
  ContextSettings s;
  s.gpuName = "no-such-gpu-9000";
  auto ctx = Context::create(s);
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.error().code, ErrorCode::kNotFound);
  EXPECT_NE(ctx.error().message.find("no-such-gpu-9000"), std::string::npos);
  EXPECT_NE(ctx.error().hint.find("llvmpipe"), std::string::npos) << ctx.error().toString();
}

// The harness every rendering test relies on: a leaked object is reported when the device
// is destroyed, through the sink that outlives the context.
TEST(Context, ValidationReportsALeakedObjectAtShutdown) {
  struct Sink {
    std::mutex mutex;
    std::vector<std::string> messages;
  };
  auto sink = std::make_shared<Sink>();
  ContextSettings s;
  s.validation = true;
  s.onValidationMessage = [sink](const std::string& m) {
    std::lock_guard lock(sink->mutex);
    sink->messages.push_back(m);
  };
  auto ctx = Context::create(s);
  ASSERT_TRUE(ctx.ok()) << ctx.error().toString();
  VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
  VkSemaphore leaked = VK_NULL_HANDLE;
  ASSERT_EQ(vkCreateSemaphore(ctx.value()->device(), &info, nullptr, &leaked), VK_SUCCESS);
  {
    std::lock_guard lock(sink->mutex);
    EXPECT_TRUE(sink->messages.empty());
  }
  ctx.value().reset();
  std::lock_guard lock(sink->mutex);
  ASSERT_FALSE(sink->messages.empty());
  bool namesSemaphore = false;
  for (const std::string& m : sink->messages) namesSemaphore |= m.find("VkSemaphore") != std::string::npos;
  EXPECT_TRUE(namesSemaphore) << sink->messages.front();
}

}  // namespace
}  // namespace trocar::render

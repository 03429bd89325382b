// The OpenXR rig through the real Khronos loader against Trocar's headless test runtime
// (tests/xr_runtime): the session state machine (app exit, runtime exit, session loss), every
// suggested binding profile, scripted poses and triggers, haptics, and stereo frames, with
// the Vulkan validation layer (and, where asked, the OpenXR core validation layer) on.
#include <trocar/render/Renderer.h>
#include <trocar/test/TestSupport.h>
#include <trocar/xr/OpenXrRig.h>

#include <trocar/core/File.h>

#include <gtest/gtest.h>

#define XR_USE_GRAPHICS_API_VULKAN
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>
#include <vulkan/vulkan.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

namespace trocar::xr {
namespace {

// The whole file, or "" when it is missing (a test then fails on what it expected to find).
std::string readAll(const std::filesystem::path& p) {
  return readFileText(p).valueOr("");
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

class OpenXrRigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("XR_RUNTIME_JSON", TROCAR_XR_TEST_RUNTIME_JSON, 1);
    setenv("TROCAR_XR_TEST_FAST", "1", 1);
    setenv("TROCAR_XR_TEST_LOG", (mDir / "runtime.log").c_str(), 1);
    setenv("TROCAR_XR_TEST_PNG_DIR", mDir.path().c_str(), 1);
    writeScript("");
  }
  void TearDown() override {
    for (const char* v :
         {"TROCAR_XR_TEST_SCRIPT", "TROCAR_XR_TEST_LOG", "TROCAR_XR_TEST_PNG_DIR", "XR_ENABLE_API_LAYERS"}) {
      unsetenv(v);
    }
  }
  void writeScript(const std::string& text) {
    test::writeText(mDir / "script.txt", text);
    setenv("TROCAR_XR_TEST_SCRIPT", (mDir / "script.txt").c_str(), 1);
  }

  // Runs a whole session: start, frames until the rig says it is over (or `exitAfter` frames,
  // then asks to exit), drawing a box in front of the head. Returns the frames seen.
  std::vector<RigFrame> runSession(OpenXrRig& rig, int exitAfter, int maxFrames = 400) {
    std::vector<RigFrame> frames;
    render::ContextSettings cs;
    cs.validation = true;
    cs.onValidationMessage = [this](const std::string& m) {
      std::lock_guard lock(mMutex);
      mMessages.push_back(m);
    };
    rig.configureContext(cs);
    {
      auto ctx = render::Context::create(cs);
      EXPECT_TRUE(ctx.ok()) << ctx.error().toString();
      if (!ctx.ok()) return frames;
      auto renderer = render::Renderer::create(*ctx.value()).value();
      auto started = rig.start(*ctx.value());
      EXPECT_TRUE(started.ok()) << started.error().toString();
      if (!started.ok()) return frames;
      render::FrameScene scene;
      render::Material red;
      red.color = {0.8f, 0.1f, 0.1f};
      Mat4 model(1.0f);
      model[3] = Vec4(0.0f, 1.6f, -0.6f, 1.0f);
      scene.draws.push_back({renderer->createMesh(render::makeBox({0.1f, 0.1f, 0.1f})).value(), model, red});
      for (int i = 0; i < maxFrames; ++i) {
        auto frame = rig.beginFrame();
        EXPECT_TRUE(frame.ok()) << frame.error().toString();
        if (!frame.ok() || !frame.value().running) break;
        frames.push_back(frame.value());
        if (frame.value().shouldRender) {
          for (size_t e = 0; e < 2; ++e) {
            const EyeView& eye = frame.value().eyes[e];
            scene.views[e] = render::viewFromPose(
                eye.pose, render::projectionFromFov(eye.fov, frame.value().nearM, frame.value().farM));
          }
          auto drawn = renderer->drawFrame(*rig.target(), scene);
          EXPECT_TRUE(drawn.ok()) << drawn.error().toString();
        }
        auto ended = rig.endFrame();
        EXPECT_TRUE(ended.ok()) << ended.error().toString();
        if (static_cast<int>(frames.size()) == exitAfter) rig.requestExit();
      }
      renderer->finish();
      renderer.reset();
      rig.stop();
    }
    std::lock_guard lock(mMutex);
    for (const std::string& m : mMessages) ADD_FAILURE() << "Vulkan validation: " << m;
    return frames;
  }

  test::TempDir mDir;
  std::mutex mMutex;
  std::vector<std::string> mMessages;
};

TEST_F(OpenXrRigTest, FullSessionReachesFocusedAndEndsOnRequest) {
  auto rig = OpenXrRig::create();
  ASSERT_TRUE(rig.ok()) << rig.error().toString();
  EXPECT_NE(rig.value()->name().find("Trocar headless test runtime"), std::string::npos);
  const auto frames = runSession(*rig.value(), 10);
  EXPECT_EQ(frames.size(), 10u);
  const auto& states = rig.value()->stats().states;
  const std::vector<std::string> expected{"IDLE",    "READY",        "SYNCHRONIZED", "VISIBLE", "FOCUSED",
                                          "VISIBLE", "SYNCHRONIZED", "STOPPING",     "IDLE",    "EXITING"};
  EXPECT_EQ(states, expected);
  EXPECT_EQ(rig.value()->stats().framesSubmitted, 10u);
  // Display times advance by the runtime's period.
  ASSERT_GE(frames.size(), 2u);
  EXPECT_EQ(frames[1].displayTimeNs - frames[0].displayTimeNs, 16'666'667);
  // Both eye images were submitted: the box is in the middle of each, at different columns.
  const std::string log = readAll(mDir / "runtime.log");
  EXPECT_NE(log.find("frame 10 "), std::string::npos) << log;
  EXPECT_NE(log.find("views=2"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(mDir / "left.png"));
  EXPECT_TRUE(std::filesystem::exists(mDir / "right.png"));
}

// A PFM file (what the test runtime writes for submitted depth): "Pf", width, height, scale,
// then rows bottom to top of floats. Returned top row first; empty when unreadable.
struct FloatImage {
  uint32_t width = 0, height = 0;
  std::vector<float> values;
  float at(uint32_t x, uint32_t y) const { return values[size_t{y} * width + x]; }
};
FloatImage readPfm(const std::filesystem::path& p) {
  FloatImage image;
  std::ifstream in(p, std::ios::binary);
  std::string magic;
  float scale = 0.0f;
  if (!(in >> magic >> image.width >> image.height >> scale) || magic != "Pf" || scale >= 0.0f) return {};
  in.get();  // the one whitespace character before the data
  std::vector<float> rows(size_t{image.width} * image.height);
  in.read(reinterpret_cast<char*>(rows.data()), static_cast<std::streamsize>(rows.size() * sizeof(float)));
  if (!in) return {};
  image.values.resize(rows.size());
  for (uint32_t y = 0; y < image.height; ++y) {
    std::copy_n(rows.begin() + static_cast<std::ptrdiff_t>(size_t{image.height - 1 - y} * image.width),
                image.width, image.values.begin() + static_cast<std::ptrdiff_t>(size_t{y} * image.width));
  }
  return image;
}

// Depth goes with each eye's picture (XR_KHR_composition_layer_depth): the runtime turns it back
// into distances with the near and far planes the rig submitted. The head stands at 1.6 m looking
// down -Z; the drawn box's front face is 0.5 m ahead of both eyes, so along each eye's straight-
// ahead ray (the pixel where the asymmetric field of view has angle 0) and 0.1 rad beside it the
// distance along the view axis is 0.5 m; the empty corner is at the far plane.
TEST_F(OpenXrRigTest, EachEyesDepthIsSubmittedWithItsPicture) {
  writeScript("0 head 0 1.6 0\n");
  auto rig = OpenXrRig::create();
  ASSERT_TRUE(rig.ok());
  const auto frames = runSession(*rig.value(), 5);
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_TRUE(rig.value()->stats().depthSubmitted);
  const std::string log = readAll(mDir / "runtime.log");
  EXPECT_NE(log.find("views=2 quads=0 blend=1 depth=2"), std::string::npos) << log;
  for (int eye = 0; eye < 2; ++eye) {
    const FloatImage depth = readPfm(mDir / (eye == 0 ? "left-depth.pfm" : "right-depth.pfm"));
    ASSERT_GT(depth.width, 0u) << "no depth image for eye " << eye;
    const render::Fov fov = frames.back().eyes[static_cast<size_t>(eye)].fov;
    auto column = [&](float tanX) {
      return static_cast<uint32_t>((tanX - std::tan(fov.left)) / (std::tan(fov.right) - std::tan(fov.left)) *
                                   static_cast<float>(depth.width));
    };
    const uint32_t row = static_cast<uint32_t>(std::tan(fov.up) / (std::tan(fov.up) - std::tan(fov.down)) *
                                               static_cast<float>(depth.height));
    EXPECT_NEAR(depth.at(column(0.0f), row), 0.5f, 0.002f) << "eye " << eye;
    EXPECT_NEAR(depth.at(column(0.1f), row), 0.5f, 0.002f) << "eye " << eye;
    EXPECT_NEAR(depth.at(0, 0), frames.back().farM, 0.05f) << "eye " << eye;
  }
  EXPECT_TRUE(std::filesystem::exists(mDir / "left-depth.png"));
}

// A runtime without the depth extension gets pictures only, and the session runs as before.
TEST_F(OpenXrRigTest, WithoutTheDepthExtensionOnlyPicturesAreSubmitted) {
  setenv("TROCAR_XR_TEST_DEPTH", "0", 1);
  auto rig = OpenXrRig::create();
  ASSERT_TRUE(rig.ok());
  const auto frames = runSession(*rig.value(), 5);
  unsetenv("TROCAR_XR_TEST_DEPTH");
  EXPECT_EQ(frames.size(), 5u);
  EXPECT_FALSE(rig.value()->stats().depthSubmitted);
  const std::string log = readAll(mDir / "runtime.log");
  EXPECT_NE(log.find("frame 5 "), std::string::npos) << log;
  EXPECT_EQ(log.find("depth=2"), std::string::npos) << log;
  EXPECT_TRUE(std::filesystem::exists(mDir / "left.png"));
  EXPECT_FALSE(std::filesystem::exists(mDir / "left-depth.pfm"));
}

TEST_F(OpenXrRigTest, EveryControllerProfileIsAccepted) {
  auto rig = OpenXrRig::create();
  ASSERT_TRUE(rig.ok());
  runSession(*rig.value(), 1);
  const auto& profiles = rig.value()->stats().acceptedProfiles;
  for (const char* p :
       {"/interaction_profiles/khr/simple_controller", "/interaction_profiles/oculus/touch_controller",
        "/interaction_profiles/valve/index_controller", "/interaction_profiles/htc/vive_controller",
        "/interaction_profiles/microsoft/motion_controller"}) {
    EXPECT_TRUE(contains(profiles, p)) << p;
  }
}

TEST_F(OpenXrRigTest, RuntimeRequestedExitEndsTheSession) {
  writeScript("0.1 exit\n");
  auto rig = OpenXrRig::create();
  ASSERT_TRUE(rig.ok());
  const auto frames = runSession(*rig.value(), -1);
  // 0.1 s at 60 Hz: about 6-7 frames, then STOPPING from the runtime, then EXITING.
  EXPECT_GE(frames.size(), 5u);
  EXPECT_LE(frames.size(), 10u);
  const auto& states = rig.value()->stats().states;
  EXPECT_TRUE(contains(states, "STOPPING"));
  EXPECT_EQ(states.back(), "EXITING");
  EXPECT_FALSE(rig.value()->stats().sessionLost);
}

TEST_F(OpenXrRigTest, SessionLossEndsWithoutCrashing) {
  writeScript("0.05 loss\n");
  auto rig = OpenXrRig::create();
  ASSERT_TRUE(rig.ok());
  const auto frames = runSession(*rig.value(), -1);
  EXPECT_LE(frames.size(), 6u);
  EXPECT_TRUE(rig.value()->stats().sessionLost);
  EXPECT_EQ(rig.value()->stats().states.back(), "LOSS_PENDING");
}

// The script moves the right controller from x = 0.1 to 0.3 m over 1 s while squeezing the
// trigger from 0 to 1: at t = 0.5 s the rig reports the midpoint. Haptic calls are logged.
TEST_F(OpenXrRigTest, ScriptedControllersAndHaptics) {
  writeScript(
      "0 head 0 1.6 0\n"
      "0 right 0.1 1.2 -0.3 1 0 0 0 0 0\n"
      "1 right 0.3 1.2 -0.3 1 0 0 0 1 0.5\n");
  auto rig = OpenXrRig::create();
  ASSERT_TRUE(rig.ok());
  OpenXrRig& r = *rig.value();
  const auto frames = runSession(r, 70);
  ASSERT_GE(frames.size(), 40u);
  // Frames start at t = 0 (first display time); frame 30 is t = 0.5 s.
  const HandState& right = frames[30].hands[1];
  ASSERT_TRUE(right.tracked);
  EXPECT_NEAR(right.grip.position.x, 0.2f, 0.004f);
  EXPECT_NEAR(right.trigger, 0.5f, 0.02f);
  EXPECT_NEAR(right.squeeze, 0.25f, 0.02f);
  EXPECT_FALSE(frames[30].hands[0].tracked) << "the script never moves the left hand";
  EXPECT_NEAR(frames[30].head.position.y, 1.6f, 1e-4f);
  // Eyes 64 mm apart around the head.
  EXPECT_NEAR(glm::length(frames[30].eyes[1].pose.position - frames[30].eyes[0].pose.position), 0.064f,
              1e-4f);
}

TEST_F(OpenXrRigTest, HapticPulsesReachTheRuntime) {
  auto rig = OpenXrRig::create();
  ASSERT_TRUE(rig.ok());
  render::ContextSettings cs;
  rig.value()->configureContext(cs);
  auto ctx = render::Context::create(cs).value();
  ASSERT_TRUE(rig.value()->start(*ctx).ok());
  bool pulsed = false;
  for (int i = 0; i < 20; ++i) {
    auto f = rig.value()->beginFrame();
    ASSERT_TRUE(f.ok());
    if (f.value().shouldRender) {
      // Nothing drawn: release the image by ending the frame with it.
    }
    ASSERT_TRUE(rig.value()->endFrame().ok());
    if (i == 5) {
      rig.value()->applyHaptic(HandSide::kRight, {0.5f, 160.0f, 0.022});
      pulsed = true;
    }
  }
  rig.value()->stop();
  EXPECT_TRUE(pulsed);
  EXPECT_EQ(rig.value()->stats().hapticPulses, 1u);
  const std::string log = readAll(mDir / "runtime.log");
  EXPECT_NE(log.find("haptic right"), std::string::npos) << log;
  EXPECT_NE(log.find("amplitude=0.500 frequency=160.0 duration_ms=22.0"), std::string::npos) << log;
}

TEST(OpenXrRigNoRuntime, ClearErrorWhenNoRuntimeAnswers) {
  setenv("XR_RUNTIME_JSON", "/nonexistent/runtime.json", 1);
  auto rig = OpenXrRig::create();
  unsetenv("XR_RUNTIME_JSON");
  ASSERT_FALSE(rig.ok());
  EXPECT_EQ(rig.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(rig.error().message.find("XR_ERROR_RUNTIME_UNAVAILABLE"), std::string::npos)
      << rig.error().toString();
  EXPECT_NE(rig.error().hint.find("XR_RUNTIME_JSON"), std::string::npos);
}

// The runtime is strict: misuse gets the specification's error codes.
TEST(TestRuntime, RefusesMisuseWithTheSpecifiedErrors) {
  setenv("XR_RUNTIME_JSON", TROCAR_XR_TEST_RUNTIME_JSON, 1);
  const char* ext[] = {XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME};
  XrInstanceCreateInfo create{XR_TYPE_INSTANCE_CREATE_INFO};
  std::strcpy(create.applicationInfo.applicationName, "misuse");
  create.applicationInfo.apiVersion = XR_MAKE_VERSION(1, 0, 0);
  create.enabledExtensionCount = 1;
  create.enabledExtensionNames = ext;
  XrInstance instance = XR_NULL_HANDLE;
  ASSERT_EQ(xrCreateInstance(&create, &instance), XR_SUCCESS);
  XrPath path = XR_NULL_PATH;
  EXPECT_EQ(xrStringToPath(instance, "/user//hand", &path), XR_ERROR_PATH_FORMAT_INVALID);
  XrSystemGetInfo sys{XR_TYPE_SYSTEM_GET_INFO};
  sys.formFactor = XR_FORM_FACTOR_HANDHELD_DISPLAY;
  XrSystemId id = XR_NULL_SYSTEM_ID;
  EXPECT_EQ(xrGetSystem(instance, &sys, &id), XR_ERROR_FORM_FACTOR_UNSUPPORTED);
  sys.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
  ASSERT_EQ(xrGetSystem(instance, &sys, &id), XR_SUCCESS);
  // A session before the graphics requirements were queried.
  XrGraphicsBindingVulkanKHR binding{XR_TYPE_GRAPHICS_BINDING_VULKAN2_KHR};
  XrSessionCreateInfo info{XR_TYPE_SESSION_CREATE_INFO};
  info.next = &binding;
  info.systemId = id;
  XrSession session = XR_NULL_HANDLE;
  EXPECT_EQ(xrCreateSession(instance, &info, &session), XR_ERROR_GRAPHICS_REQUIREMENTS_CALL_MISSING);
  // Bindings the profile does not have are refused.
  XrActionSetCreateInfo setInfo{XR_TYPE_ACTION_SET_CREATE_INFO};
  std::strcpy(setInfo.actionSetName, "s");
  std::strcpy(setInfo.localizedActionSetName, "s");
  XrActionSet set = XR_NULL_HANDLE;
  ASSERT_EQ(xrCreateActionSet(instance, &setInfo, &set), XR_SUCCESS);
  XrActionCreateInfo actionInfo{XR_TYPE_ACTION_CREATE_INFO};
  std::strcpy(actionInfo.actionName, "a");
  std::strcpy(actionInfo.localizedActionName, "a");
  actionInfo.actionType = XR_ACTION_TYPE_FLOAT_INPUT;
  XrAction action = XR_NULL_HANDLE;
  ASSERT_EQ(xrCreateAction(set, &actionInfo, &action), XR_SUCCESS);
  XrPath profile = XR_NULL_PATH;
  XrPath bogus = XR_NULL_PATH;
  xrStringToPath(instance, "/interaction_profiles/khr/simple_controller", &profile);
  xrStringToPath(instance, "/user/hand/left/input/trigger/value", &bogus);  // simple has no trigger
  XrActionSuggestedBinding b{action, bogus};
  XrInteractionProfileSuggestedBinding suggested{XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING};
  suggested.interactionProfile = profile;
  suggested.countSuggestedBindings = 1;
  suggested.suggestedBindings = &b;
  EXPECT_EQ(xrSuggestInteractionProfileBindings(instance, &suggested), XR_ERROR_PATH_UNSUPPORTED);
  EXPECT_EQ(xrDestroyInstance(instance), XR_SUCCESS);
  unsetenv("XR_RUNTIME_JSON");
}

}  // namespace
}  // namespace trocar::xr

namespace trocar::xr {
namespace {

// The same session with the Khronos core validation layer between the app and the runtime:
// it reports any invalid use of OpenXR on standard output; there must be none.
TEST_F(OpenXrRigTest, CoreValidationLayerReportsNothing) {
  setenv("XR_ENABLE_API_LAYERS", "XR_APILAYER_LUNARG_core_validation", 1);
  testing::internal::CaptureStdout();
  {
    auto rig = OpenXrRig::create();
    ASSERT_TRUE(rig.ok()) << rig.error().toString();
    const auto frames = runSession(*rig.value(), 8);
    EXPECT_EQ(frames.size(), 8u);
    EXPECT_EQ(rig.value()->stats().states.back(), "EXITING");
  }
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(out.find("VUID"), std::string::npos) << out;
  EXPECT_EQ(out.find("Error"), std::string::npos) << out;
}

}  // namespace
}  // namespace trocar::xr

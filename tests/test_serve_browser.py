"""The drawing page in a real browser: headless Chromium draws digits with the mouse and reads the page.

Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install chromium chromium-driver``) and
Selenium; skipped with the reason otherwise. Nothing is downloaded: Selenium is pointed at the system
driver and runs offline. Screenshots go to ``test-artifacts/`` (git-ignored).
"""
import os
import pathlib
import tempfile

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
REPO = pathlib.Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
DIGITS = REPO / "tests" / "fixtures" / "digits"
WAIT = 30  # seconds: a request is a few milliseconds, but CI machines can be slow to start a browser

pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason=f"no browser: {CHROMIUM} and {CHROMEDRIVER} are needed (apt-get install chromium chromium-driver)")

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed: pip install -e '.[test]'")
pytest.importorskip("uvicorn", reason="the serve extra is not installed: pip install -e '.[serve]'")

from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from torchless.cli.errors import CLIError  # noqa: E402
from torchless.serve import create_app, default_checkpoint  # noqa: E402
from torchless.serve.background import serving  # noqa: E402

# Strokes as points relative to the pad's centre (the pad is 280x280 CSS pixels).
SEVEN = [[(-80, -90), (80, -90), (55, -35), (25, 25), (0, 100)]]
ONE = [[(12, -105), (-8, 105)]]
MAPS_PER_LAYER = [5, 5, 10, 10]  # conv1, pool, conv2, pool of the course CNN


@pytest.fixture(scope="module")
def url():
    try:
        checkpoint = default_checkpoint()
    except CLIError:
        pytest.skip("the bundled course CNN checkpoint (src/torchless/models/weights/course.ckpt) is not there")
    with serving(create_app(checkpoint)) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.TemporaryDirectory(prefix="torchless-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile.name}", "--window-size=1300,1800"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SE_OFFLINE", "true")  # Selenium Manager must not look for (or fetch) a driver or a browser
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()
            profile.cleanup()


@pytest.fixture
def page(browser, url):
    browser.get(url)
    wait(browser, lambda d: "parameters" in d.find_element(By.ID, "model-info").text)
    browser.get_log("browser")  # start each test with an empty console
    return browser


def wait(driver, condition):
    return WebDriverWait(driver, WAIT).until(condition)


def draw(driver, strokes, steps=6):
    """Real mouse events: press, move through each stroke's points in small steps, release."""
    pad = driver.find_element(By.ID, "pad")
    for points in strokes:
        actions = ActionChains(driver, duration=15).move_to_element_with_offset(pad, *points[0]).click_and_hold()
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            for k in range(1, steps + 1):
                actions.move_to_element_with_offset(pad, round(x0 + (x1 - x0) * k / steps),
                                                    round(y0 + (y1 - y0) * k / steps))
        actions.release().perform()


def shown_class(driver):
    return driver.find_element(By.ID, "prediction").get_attribute("data-class")


def painted(driver, selector):
    """How many of the canvases matching ``selector`` hold more than one colour."""
    return driver.execute_script("""
        return [...document.querySelectorAll(arguments[0])].filter((canvas) => {
          const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          for (let i = 4; i < data.length; i += 4)
            if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2]) return true;
          return false;
        }).length;""", selector)


def errors_in_console(driver):
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(driver, name):
    ARTIFACTS.mkdir(exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1300, max(height, 800))
    driver.save_screenshot(str(ARTIFACTS / name))


def test_drawing_a_seven_shows_the_prediction_and_the_activation_maps(page):
    draw(page, SEVEN)
    wait(page, lambda d: d.find_element(By.ID, "activations").get_attribute("data-layers") == "4")
    wait(page, lambda d: shown_class(d) == "7")
    screenshot(page, "serve-seven.png")
    bars = page.find_elements(By.CSS_SELECTOR, "#bars .bar")
    assert len(bars) == 10 and "best" in bars[7].get_attribute("class")
    assert page.find_element(By.ID, "confidence").text.endswith("sure")
    layers = page.find_elements(By.CSS_SELECTOR, "#activations .layer")
    assert [len(layer.find_elements(By.CSS_SELECTOR, "canvas")) for layer in layers] == MAPS_PER_LAYER
    assert "conv1 (Conv2d) · 5×28×28" in layers[0].text and "pool (MaxPool2d, call 2) · 10×7×7" in layers[3].text
    assert painted(page, "#activations canvas") == sum(MAPS_PER_LAYER)
    assert painted(page, "#input28") == 1
    # The filters and the summary come from /api/model: 5 kernels of conv1, 10x5 of conv2.
    assert len(page.find_elements(By.CSS_SELECTOR, "#filters canvas")) == 5 + 50
    assert "Total params: 5,420" in page.find_element(By.ID, "summary").text
    assert errors_in_console(page) == []


def test_a_one_then_clear(page):
    draw(page, ONE)
    wait(page, lambda d: shown_class(d) == "1")
    wait(page, lambda d: d.find_element(By.ID, "activations").get_attribute("data-layers") == "4")
    screenshot(page, "serve-one.png")
    page.find_element(By.ID, "clear").click()
    assert shown_class(page) == ""
    assert page.find_element(By.ID, "prediction").text == "?"
    assert page.find_element(By.ID, "activations").get_attribute("data-layers") == "0"
    assert painted(page, "#pad") == 0
    assert errors_in_console(page) == []


@pytest.mark.parametrize("name", ["3_pen.png", "3_canvas.png"])
def test_uploading_a_picture_of_a_digit(page, name):
    """A photo-like PNG, and a canvas export with a transparent background (shown on white, as the server reads it)."""
    page.find_element(By.ID, "file").send_keys(str(DIGITS / name))
    wait(page, lambda d: shown_class(d) == "3")
    wait(page, lambda d: d.find_element(By.ID, "activations").get_attribute("data-layers") == "4")
    corner = page.execute_script("return [...document.getElementById('pad').getContext('2d').getImageData(0, 0, 1, 1).data]")
    assert min(corner[:3]) > 200  # light paper around the dark digit
    assert painted(page, "#pad") == 1
    assert errors_in_console(page) == []


def test_refused_images_show_the_reason(page, tmp_path):
    """A blank page the server refuses (422), and a file the browser cannot decode: each says why on the page."""
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("L", (64, 64), 250).save(blank)
    page.find_element(By.ID, "file").send_keys(str(blank))
    wait(page, lambda d: d.find_element(By.ID, "error").is_displayed())
    assert page.find_element(By.ID, "error").text == "the image is blank: no digit found"
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    page.find_element(By.ID, "file").send_keys(str(broken))
    wait(page, lambda d: "broken.jpg is not an image this browser can read" in d.find_element(By.ID, "error").text)

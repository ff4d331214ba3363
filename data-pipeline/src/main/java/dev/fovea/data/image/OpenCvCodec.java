package dev.fovea.data.image;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_IGNORE_ORIENTATION;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_RGB2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * The native codec: OpenCV 4.11's imgcodecs from JavaCPP's preset, whose JPEG support is the
 * libjpeg-turbo 3.0 it is built with (see {@code cv::getBuildInformation()}). Native memory is
 * released as soon as each call returns; instances are stateless and thread-safe.
 */
public final class OpenCvCodec implements ImageCodec {
  static {
    // The native libraries must be in memory before the first BytePointer is allocated.
    org.bytedeco.javacpp.Loader.load(org.bytedeco.opencv.global.opencv_imgcodecs.class);
    org.bytedeco.javacpp.Loader.load(org.bytedeco.opencv.global.opencv_imgproc.class);
  }

  @Override
  public String name() {
    return "opencv-libjpeg-turbo";
  }

  @Override
  public Image decode(byte[] bytes, int channels) {
    Codecs.checkComplete(bytes);
    // Always colour first: IMREAD_GRAYSCALE would let libpng and libjpeg convert with their own
    // weights; converting here gives the same grey as the fallback codec.
    int flags = IMREAD_COLOR | IMREAD_IGNORE_ORIENTATION;
    try (BytePointer src = new BytePointer(bytes);
        Mat in = new Mat(1, bytes.length, CV_8UC1, src);
        Mat m = imdecode(in, flags)) {
      if (m == null || m.empty()) {
        throw new BadImageException("not a readable JPEG, PNG or BMP image");
      }
      if (channels == 1) {
        cvtColor(m, m, COLOR_BGR2GRAY);
        return toImage(m, 1, false);
      }
      // Left in BGR order: the sampler reads channels through Image.channelOffset.
      return toImage(m, 3, true);
    } catch (BadImageException e) {
      throw e;
    } catch (RuntimeException e) {
      // OpenCV's own errors (cv::Exception, e.g. a size it refuses) are one bad image, not a failed job.
      String m = String.valueOf(e.getMessage()).lines().filter(l -> !l.isBlank()).findFirst().orElse("");
      throw new BadImageException("OpenCV cannot decode it: " + m, e);
    }
  }

  @Override
  public byte[] encodeJpeg(Image image, int quality) {
    Image im = image.toInterleaved();
    try (BytePointer px = new BytePointer(im.pixels());
        Mat m = new Mat(im.height(), im.width(), im.channels() == 1 ? CV_8UC1 : CV_8UC3, px);
        Mat bgr = new Mat();
        BytePointer out = new BytePointer();
        IntPointer params = new IntPointer(IMWRITE_JPEG_QUALITY, quality)) {
      Mat src = m;
      if (im.channels() == 3) {
        cvtColor(m, bgr, COLOR_RGB2BGR);
        src = bgr;
      }
      if (!imencode(".jpg", src, out, params)) {
        throw new IllegalStateException("OpenCV could not encode a " + im.width() + "x" + im.height() + " JPEG");
      }
      byte[] b = new byte[(int) out.limit()];
      out.get(b);
      return b;
    }
  }

  @Override
  public Image resize(Image image, int width, int height) {
    Image im = image.toInterleaved();
    boolean shrink = width < im.width() || height < im.height();
    try (BytePointer px = new BytePointer(im.pixels());
        Mat m = new Mat(im.height(), im.width(), im.channels() == 1 ? CV_8UC1 : CV_8UC3, px);
        Mat out = new Mat();
        Size size = new Size(width, height)) {
      org.bytedeco.opencv.global.opencv_imgproc.resize(m, out, size, 0, 0, shrink ? INTER_AREA : INTER_LINEAR);
      return toImage(out, im.channels(), false);
    }
  }

  private static Image toImage(Mat m, int channels, boolean bgr) {
    int w = m.cols();
    int h = m.rows();
    if (m.channels() != channels || m.depth() != 0) {
      throw new BadImageException("decoded to " + m.channels() + " channels of depth " + m.depth() + ", wanted "
          + channels + " of 8 bits");
    }
    byte[] p = new byte[w * h * channels];
    if (m.isContinuous()) {
      m.data().get(p);
    } else {
      BytePointer d = m.data();
      long step = m.step();
      for (int y = 0; y < h; y++) {
        d.position(y * step).get(p, y * w * channels, w * channels);
      }
    }
    return new Image(w, h, channels, p, false, bgr);
  }
}

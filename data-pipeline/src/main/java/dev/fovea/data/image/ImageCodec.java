package dev.fovea.data.image;

/**
 * Decodes JPEG, PNG and BMP files to 8-bit grey or RGB and encodes JPEG. Whatever a file holds
 * (grey, RGB, RGBA, CMYK, 8 or 16 bits) is converted to the requested channels: alpha is dropped
 * (not composited), 16-bit samples keep their high byte, colour becomes grey as {@code 0.299 R +
 * 0.587 G + 0.114 B}. EXIF orientation is ignored, so both codecs see the stored pixel grid.
 */
public interface ImageCodec {

  /** A short name for logs and benchmarks, e.g. {@code opencv-libjpeg-turbo}. */
  String name();

  /**
   * Decodes one image file.
   *
   * @param bytes the whole file
   * @param channels 1 (grey) or 3 (RGB)
   * @return interleaved (H, W, C) pixels, possibly in BGR order (see {@link Image#bgr()}; {@link
   *     Image#toInterleaved()} gives RGB)
   * @throws BadImageException when the bytes are not a complete image this codec reads
   */
  Image decode(byte[] bytes, int channels);

  /**
   * Encodes an image as baseline JPEG.
   *
   * @param quality 1 to 100
   */
  byte[] encodeJpeg(Image image, int quality);

  /**
   * Resizes to {@code width × height} for storage (area averaging when shrinking, bilinear when
   * growing); training-time resizing uses {@link Sampler} instead.
   */
  Image resize(Image image, int width, int height);

  /** A file that is not a readable image: corrupt, truncated or of an unknown format. */
  final class BadImageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BadImageException(String message) {
      super(message);
    }

    public BadImageException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}

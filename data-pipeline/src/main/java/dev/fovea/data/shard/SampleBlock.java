package dev.fovea.data.shard;

/**
 * Samples in memory as read from shards: {@code count} images of {@code sampleSize} unsigned bytes
 * each, back to back, and their labels. A plain class (not a record) so Kryo can carry it.
 */
public final class SampleBlock {
  /** Images, sample i at {@code [i·sampleSize, (i+1)·sampleSize)}. */
  public byte[] pixels;
  /** Class index of each sample. */
  public int[] labels;
  /** Bytes per image: C·H·W. */
  public int sampleSize;

  /** For Kryo. */
  public SampleBlock() {}

  public SampleBlock(byte[] pixels, int[] labels, int sampleSize) {
    if ((long) labels.length * sampleSize != pixels.length) {
      throw new IllegalArgumentException(labels.length + " labels but " + pixels.length + " pixel bytes of "
          + sampleSize + " per sample");
    }
    this.pixels = pixels;
    this.labels = labels;
    this.sampleSize = sampleSize;
  }

  public int count() {
    return labels.length;
  }
}

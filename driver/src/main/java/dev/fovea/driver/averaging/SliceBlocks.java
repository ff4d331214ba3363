package dev.fovea.driver.averaging;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.network.buffer.ManagedBuffer;
import org.apache.spark.network.buffer.NioManagedBuffer;
import org.apache.spark.network.shuffle.BlockFetchingListener;
import org.apache.spark.network.shuffle.DownloadFile;
import org.apache.spark.network.shuffle.DownloadFileManager;
import org.apache.spark.network.shuffle.DownloadFileWritableChannel;
import org.apache.spark.network.util.TransportConf;
import org.apache.spark.storage.BlockData;
import org.apache.spark.storage.BlockId;
import org.apache.spark.storage.BlockManager;
import org.apache.spark.storage.BlockManagerId;
import org.apache.spark.storage.ByteBufferBlockData;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.io.ChunkedByteBuffer;
import scala.Option;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * How {@link AllReduce}'s slices travel through Spark's block manager: put as blocks of raw
 * little-endian values (on a cluster as views of {@link #VIEW_BYTES}), read in place where local,
 * streamed into reused buffers ({@link SliceBuffers}) from the owning executor otherwise, and
 * waited for by polling (the tasks of a group order themselves by the blocks they need).
 */
final class SliceBlocks {
  static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

  private SliceBlocks() {}

  private static final ClassTag<Object> ANY = ClassTag$.MODULE$.apply(Object.class);

  /**
   * Whether this JVM runs Spark in local mode ({@code local}, {@code local[n]}, not {@code
   * local-cluster}): one block manager holds every block, so blocks are put and removed without
   * telling the master (no RPC per block; the driver's {@code removeRdd} still reaches every block
   * manager) and a block not in it is not looked for elsewhere (no RPC per poll), and polls back
   * off to 0.5 ms at most, not 2 ms (a LeNet round's exchange is a few milliseconds).
   */
  static boolean localMode() {
    SparkEnv env = SparkEnv.get();
    Mode m = mode;
    if (m == null || m.env() != env) {
      String master = env.conf().get("spark.master", "");
      m = new Mode(env, master.startsWith("local") && !master.startsWith("local-cluster"));
      mode = m;
    }
    return m.local();
  }

  /** Whether {@code env}'s master is local mode; read once per SparkEnv (a JVM may hold several in turn). */
  private record Mode(SparkEnv env, boolean local) {}

  /** The latest answer of {@link #localMode} (polls ask it every few hundred microseconds). */
  private static volatile Mode mode;

  /**
   * Spills to disk under memory pressure, except with {@code spark.io.encryption.enabled}: Spark
   * decrypts what it reads back from disk, and these bytes are not encrypted, so they stay in
   * memory (a block that does not fit fails the task, naming the setting).
   */
  private static StorageLevel level() {
    return SparkEnv.get().conf().getBoolean("spark.io.encryption.enabled", false) ? StorageLevel.MEMORY_ONLY_SER()
        : StorageLevel.MEMORY_AND_DISK_SER();
  }

  static void putBytes(BlockManager bm, BlockId id, ByteBuffer bytes) {
    boolean local = localMode();
    ChunkedByteBuffer block = new ChunkedByteBuffer(local ? new ByteBuffer[] {bytes} : views(bytes));
    // an existing block (a retried attempt's straggler cannot write this attempt's ids) is kept: true
    if (!bm.putBytes(id, block, level(), !local, ANY)) {
      throw new IllegalStateException("all-reduce: the block manager could not store " + id + " (" + bytes.capacity()
          + " bytes; with spark.io.encryption.enabled the slices must fit in storage memory)");
    }
  }

  /**
   * The size of the views a block's bytes are stored as on a cluster ({@link #views}). Spark sends
   * a stored heap block through Netty, whose epoll transport copies each buffer it is handed whole
   * into a fresh direct buffer before every write to the socket, however little the socket then
   * takes: one 102 MB ResNet-50 slice in one buffer was copied again for each few hundred kB sent
   * (2–4 s a slice, against 0.3 s in views of this size, measured on the standalone cluster without
   * {@code spark.network.crypto}; with it, Spark's cipher reads 32 kB at a time and never did so).
   */
  static final int VIEW_BYTES = 256 << 10;

  /** {@code bytes} (position 0) as consecutive views of at most {@link #VIEW_BYTES} over the same memory. */
  static ByteBuffer[] views(ByteBuffer bytes) {
    int size = bytes.capacity();
    ByteBuffer[] v = new ByteBuffer[Math.max(1, (size + VIEW_BYTES - 1) / VIEW_BYTES)];
    for (int i = 0; i < v.length; i++) {
      int at = i * VIEW_BYTES;
      v[i] = bytes.slice(at, Math.min(VIEW_BYTES, size - at));
    }
    return v;
  }

  /**
   * A stored block's bytes as one buffer: its only chunk, or its views ({@link #views}) seen again
   * as the one array they cover, without a copy; anything else copied.
   */
  static ByteBuffer whole(ChunkedByteBuffer block) {
    ByteBuffer[] chunks = block.getChunks();
    if (chunks.length == 1) {
      return chunks[0].duplicate();
    }
    if (!chunks[0].hasArray()) {
      return block.toByteBuffer();
    }
    byte[] array = chunks[0].array();
    int start = chunks[0].arrayOffset() + chunks[0].position();
    int at = start;
    for (ByteBuffer c : chunks) {
      if (!c.hasArray() || c.array() != array || c.arrayOffset() + c.position() != at) {
        return block.toByteBuffer();
      }
      at += c.remaining();
    }
    return ByteBuffer.wrap(array, start, at - start).slice();
  }

  /** A block's floats, read in place where the block is local; {@link #close()} releases it. */
  static final class Slice implements AutoCloseable {
    final FloatBuffer floats;
    /** The block's bytes, little-endian (bf16 blocks are read as shorts, {@link Bf16Exchange}). */
    final ByteBuffer bytes;
    private final BlockManager bm;
    private final BlockId id;
    /** The block manager's lock on a local block, or null for a fetched one (whose buffer is {@link #bytes}). */
    private final BlockData local;

    private Slice(ByteBuffer bytes, BlockManager bm, BlockId id, BlockData local) {
      this.bytes = bytes.order(ORDER);
      this.floats = this.bytes.asFloatBuffer();
      this.bm = bm;
      this.id = id;
      this.local = local;
    }

    /** The block, which must exist. */
    static Slice fetch(BlockManager bm, BlockId id) {
      return fetch(bm, id, -1);
    }

    /** The block, which must exist, of {@code bytes} bytes (-1: unknown; a known size reads without a copy). */
    static Slice fetch(BlockManager bm, BlockId id, int bytes) {
      Slice s = tryFetch(bm, id, bytes);
      if (s == null) {
        throw new IllegalStateException("all-reduce: block " + id + " is on no executor");
      }
      return s;
    }

    /**
     * The block once another task has put it: the tasks of a group order themselves by the blocks
     * they wait for, polling (from 50 µs, doubling to 2 ms, 0.5 ms in local mode) until it exists. Not {@code
     * BarrierTaskContext.barrier()}: Spark's barrier sleeps a whole second between checks of its
     * reply, which made a LeNet round take 2 s. A killed task (a failed peer fails the barrier
     * stage) stops waiting.
     */
    static Slice await(TaskContext ctx, BlockManager bm, BlockId id) {
      return await(ctx, bm, id, -1);
    }

    /** {@link #await(TaskContext, BlockManager, BlockId)} for a block of {@code bytes} bytes (-1: unknown). */
    static Slice await(TaskContext ctx, BlockManager bm, BlockId id, int bytes) {
      long pause = 50_000;
      while (true) {
        Slice s = tryFetch(bm, id, bytes);
        if (s != null) {
          return s;
        }
        ctx.killTaskIfInterrupted();
        java.util.concurrent.locks.LockSupport.parkNanos(pause);
        pause = Math.min(2 * pause, localMode() ? 500_000 : 2_000_000);
      }
    }

    /** The block, or null where no executor has it yet. */
    private static Slice tryFetch(BlockManager bm, BlockId id, int expected) {
      Option<BlockData> here = bm.getLocalBytes(id);
      if (here.isDefined()) {
        BlockData d = here.get();
        ByteBuffer bytes = d instanceof ByteBufferBlockData b ? whole(b.buffer()) : d.toByteBuffer();
        return new Slice(bytes, bm, id, d);
      }
      if (localMode()) { // one block manager: a block not in it exists nowhere yet
        return null;
      }
      scala.collection.Seq<BlockManagerId> where = bm.master().getLocations(id);
      if (where.isEmpty()) {
        return null;
      }
      long t0 = System.nanoTime();
      ByteBuffer bytes = fetchRemote(bm, where.head(), id, expected);
      FETCH_NANOS.set(FETCH_NANOS.get() + System.nanoTime() - t0);
      return new Slice(bytes, bm, id, null);
    }

    /**
     * The nanoseconds this thread spent in remote block transfers (from the request to the last
     * byte copied) since it last reset them.
     */
    static final ThreadLocal<Long> FETCH_NANOS = ThreadLocal.withInitial(() -> 0L);

    /**
     * Block {@code id} from the block manager {@code at}, streamed into a buffer of {@link
     * SliceBuffers} as its bytes arrive. Spark's own {@code getRemoteBytes} fetches a block as one
     * chunk, which Netty holds whole in its pooled direct buffers until the last byte is in (their
     * arenas grow by the block's size and release it afterwards: on a virtual machine whose first
     * touch of a page is slow, a 102 MB slice paid that for every page, every fetch), then copies it
     * twice into two fresh heap buffers. Fetched as a stream (the way Spark fetches blocks too
     * large for memory to a file, here to a buffer), each piece is copied once and its network
     * buffer released at once.
     *
     * @param expected the block's size in bytes, or -1 where unknown (then read into a growing
     *     buffer and not pooled)
     */
    private static ByteBuffer fetchRemote(BlockManager bm, BlockManagerId at, BlockId id, int expected) {
      java.util.concurrent.CompletableFuture<ByteBuffer> done = new java.util.concurrent.CompletableFuture<>();
      BlockFetchingListener listener = new BlockFetchingListener() {
        @Override
        public void onBlockFetchSuccess(String blockId, ManagedBuffer data) {
          try {
            done.complete(data.nioByteBuffer()); // an InMemory buffer: no copy
          } catch (IOException | RuntimeException e) {
            done.completeExceptionally(e);
          }
        }

        @Override
        public void onBlockFetchFailure(String blockId, Throwable e) {
          done.completeExceptionally(e);
        }
      };
      bm.blockTransferService().fetchBlocks(at.host(), at.port(), at.executorId(), new String[] {id.name()}, listener,
          new InMemory(expected));
      try {
        return done.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("all-reduce: interrupted while fetching " + id + " from " + at, e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("all-reduce: could not fetch " + id + " from " + at + ": " + e.getCause(),
            e.getCause());
      }
    }

    /**
     * Where a streamed block goes: a heap buffer, not a file. Spark asks for a new one per attempt
     * (a retried fetch starts afresh; the abandoned buffer is left to the garbage collector).
     */
    static final class InMemory implements DownloadFileManager {
      private final int expected;

      InMemory(int expected) {
        this.expected = expected;
      }

      @Override
      public DownloadFile createTempFile(TransportConf conf) {
        return new DownloadFile() {
          @Override
          public boolean delete() {
            return true;
          }

          @Override
          public DownloadFileWritableChannel openForWriting() {
            return new Channel(expected);
          }

          @Override
          public String path() {
            return "(memory)";
          }
        };
      }

      @Override
      public boolean registerTempFileToClean(DownloadFile file) {
        return false; // nothing to clean: Spark then calls delete(), which does nothing
      }
    }

    /** The bytes of one streamed block, into a buffer of the expected size or a growing one. */
    static final class Channel implements DownloadFileWritableChannel {
      private final int expected;
      private ByteBuffer into;
      private boolean open = true;

      Channel(int expected) {
        this.expected = expected;
        this.into = expected >= 0 ? SliceBuffers.take(expected) : ByteBuffer.allocate(1 << 20);
      }

      @Override
      public int write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        if (n > into.remaining()) {
          if (expected >= 0) {
            throw new IOException("all-reduce: a block of more than the expected " + expected + " bytes");
          }
          ByteBuffer bigger = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8,
              Math.max(2L * into.capacity(), (long) into.position() + n)));
          into.flip();
          bigger.put(into);
          into = bigger;
        }
        into.put(src);
        return n;
      }

      @Override
      public ManagedBuffer closeAndRead() throws IOException {
        open = false;
        if (expected >= 0 && into.position() != expected) {
          throw new IOException("all-reduce: a block of " + into.position() + " bytes, not the expected " + expected);
        }
        into.flip();
        return new NioManagedBuffer(into);
      }

      @Override
      public boolean isOpen() {
        return open;
      }

      @Override
      public void close() {
        open = false;
      }
    }

    @Override
    public void close() {
      if (local != null) {
        bm.releaseLockAndDispose(id, local, Option.apply((TaskContext) null));
      } else {
        SliceBuffers.give(bytes); // fetched into a buffer of SliceBuffers (or a grown one: reusable too)
      }
    }
  }
}

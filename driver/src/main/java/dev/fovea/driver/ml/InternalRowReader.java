package dev.fovea.driver.ml;

import java.io.Serializable;
import java.util.Iterator;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Rows of a DataFrame read from Spark's internal rows ({@code queryExecution().toRdd()}), for
 * {@link AbstractFoveaModel#transform} of a features column of image bytes or of {@code
 * array<float>}/{@code array<double>}. An array value is copied in one piece into a primitive array
 * and handed on as a Scala sequence over it, where the row encoder's deserializer builds a sequence
 * of one boxed number per value, growing it as it goes (for 28 × 28 values, most of the executors'
 * time of a LeNet transform and most of its garbage). The other columns, image bytes among them
 * (one copy of the bytes, as the encoder makes), go through Spark's converters to the values a
 * {@code Row} holds; an array value with null elements too (the features reader then names the null
 * element). Against {@code Dataset.mapPartitions} this also spares the driver the planning of the
 * deserializing step before an opaque function: its CPU per transform-then-count of 10,000 PNG rows
 * went from 34–37 to 27–29 ms (driver/BENCHMARKS.md).
 */
final class InternalRowReader implements Serializable {
  private static final long serialVersionUID = 1L;

  private final DataType[] types;
  private final int features;
  /** Whether the features are an array of floats (false: of doubles, or not an array). */
  private final boolean floats;

  /** Whether the features are an array of numbers (false: image bytes, converted as any column). */
  private final boolean array;

  /**
   * @param schema the rows' schema
   * @param features the position of the features column: an array of floats or doubles, or binary
   */
  InternalRowReader(StructType schema, int features) {
    this.types = new DataType[schema.size()];
    for (int i = 0; i < types.length; i++) {
      types[i] = schema.fields()[i].dataType();
    }
    this.features = features;
    this.array = types[features] instanceof ArrayType;
    this.floats = array && ((ArrayType) types[features]).elementType().equals(DataTypes.FloatType);
  }

  /** {@code rows} as {@code Row}s, one at a time (each internal row is read before the next is taken). */
  Iterator<Row> rows(Iterator<InternalRow> rows) {
    java.util.List<scala.Function1<Object, Object>> convert = new java.util.ArrayList<>(types.length);
    for (DataType t : types) {
      convert.add(CatalystTypeConverters.createToScalaConverter(t));
    }
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public Row next() {
        InternalRow r = rows.next();
        Object[] v = new Object[types.length];
        for (int i = 0; i < v.length; i++) {
          if (r.isNullAt(i)) {
            continue;
          }
          Object value = r.get(i, types[i]);
          v[i] = array && i == features && !hasNull((ArrayData) value) ? values((ArrayData) value)
              : convert.get(i).apply(value);
        }
        return RowFactory.create(v);
      }
    };
  }

  /** The values of {@code a} (no nulls) copied into a primitive array, as a Scala sequence over it. */
  private Object values(ArrayData a) {
    return floats ? scala.Predef$.MODULE$.wrapFloatArray(a.toFloatArray())
        : scala.Predef$.MODULE$.wrapDoubleArray(a.toDoubleArray());
  }

  private static boolean hasNull(ArrayData a) {
    for (int i = 0, n = a.numElements(); i < n; i++) {
      if (a.isNullAt(i)) {
        return true;
      }
    }
    return false;
  }
}

package org.convgrad.io.arrow;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import org.apache.arrow.flatbuf.Field;
import org.apache.arrow.flatbuf.FixedSizeList;
import org.apache.arrow.flatbuf.KeyValue;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.Schema;
import org.apache.arrow.flatbuf.Type;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.jspecify.annotations.Nullable;

/**
 * Finds which field of an IPC schema has bad {@code arrow.fixed_shape_tensor} metadata. Arrow's
 * schema reader rejects such a field through {@link FixedShapeTensorType#deserialize} without
 * saying which field it was; this reads the schema's flatbuffer again, without Arrow's extension
 * lookup, to name it.
 */
final class SchemaProbe {
  private SchemaProbe() {}

  /**
   * The problem of the first field with bad tensor metadata, prefixed by the field's name, or
   * null when none is found (or the schema cannot be read again).
   */
  static @Nullable String badTensorField(SeekableByteChannel channel, boolean file) {
    try {
      channel.position(file ? 8 : 0);
      MessageMetadataResult m = BoundedMessages.readMessage(channel, Math.min(channel.size(), BoundedMessages.MAX_METADATA));
      if (m == null || m.headerType() != MessageHeader.Schema) {
        return null;
      }
      Schema schema = (Schema) m.getMessage().header(new Schema());
      for (int i = 0; i < schema.fieldsLength(); i++) {
        Field f = schema.fields(i);
        String name = null;
        String metadata = "";
        for (int k = 0; k < f.customMetadataLength(); k++) {
          KeyValue kv = f.customMetadata(k);
          if (ArrowType.ExtensionType.EXTENSION_METADATA_KEY_NAME.equals(kv.key())) {
            name = kv.value();
          } else if (ArrowType.ExtensionType.EXTENSION_METADATA_KEY_METADATA.equals(kv.key())) {
            metadata = kv.value() == null ? "" : kv.value();
          }
        }
        if (!FixedShapeTensorType.EXTENSION_NAME.equals(name)) {
          continue;
        }
        ArrowType storage = f.typeType() == Type.FixedSizeList
            ? new ArrowType.FixedSizeList(((FixedSizeList) f.type(new FixedSizeList())).listSize())
            : new ArrowType.Null() {
              @Override
              public String toString() {
                return "storage type " + Type.name(f.typeType());
              }
            };
        try {
          FixedShapeTensorType.parse(storage, metadata);
        } catch (IllegalArgumentException e) {
          return "field '" + f.name() + "': " + e.getMessage();
        }
      }
      return null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}

export type {
  DeserializeFailure,
  DeserializeFailureHandler,
  DeserializeFailureKind,
  FrameSerializer,
} from "./base-serializer.js";
export { ProtobufFrameSerializer, type ProtobufFrameSerializerOptions } from "./protobuf.js";

// The few TensorFlow/TensorBoard protocol buffer messages an event file needs, with the field
// numbers of their upstream definitions (tensorflow/core/util/event.proto, framework/summary.proto,
// tensor.proto, tensor_shape.proto; tensorboard/plugins/hparams/{api,plugin_data}.proto,
// tensorboard/plugins/text/plugin_data.proto; google/protobuf/struct.proto), encoded by protobufjs.
// Only the fields we write (and read back when a resumed run trims a file) are declared: protobuf
// readers skip nothing they need, and unknown fields in files we read are skipped by protobufjs.
import protobuf from 'protobufjs';

const SCHEMA = `
syntax = "proto3";
package tensorboard;

message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    Summary summary = 5;
  }
}

message Summary {
  message Value {
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value {
      float simple_value = 2;
      HistogramProto histo = 5;
      TensorProto tensor = 8;
    }
  }
  repeated Value value = 1;
}

message SummaryMetadata {
  message PluginData {
    string plugin_name = 1;
    bytes content = 2;
  }
  PluginData plugin_data = 1;
  string display_name = 2;
  string summary_description = 3;
  int32 data_class = 4;
}

message HistogramProto {
  double min = 1;
  double max = 2;
  double num = 3;
  double sum = 4;
  double sum_squares = 5;
  repeated double bucket_limit = 6 [packed = true];
  repeated double bucket = 7 [packed = true];
}

message TensorShapeProto {
  message Dim { int64 size = 1; string name = 2; }
  repeated Dim dim = 2;
}

message TensorProto {
  int32 dtype = 1;
  TensorShapeProto tensor_shape = 2;
  repeated bytes string_val = 8;
}

message TextPluginData { int32 version = 1; }

// google.protobuf.Value without Struct and ListValue (hyperparameters are flat).
message ProtoValue {
  oneof kind {
    int32 null_value = 1;
    double number_value = 2;
    string string_value = 3;
    bool bool_value = 4;
  }
}

message MetricName { string group = 1; string tag = 2; }
message MetricInfo { MetricName name = 1; string display_name = 3; string description = 4; int32 dataset_type = 5; }
message HParamInfo { string name = 1; string display_name = 2; string description = 3; int32 type = 4; }
message Experiment {
  string description = 1;
  string user = 2;
  double time_created_secs = 3;
  repeated HParamInfo hparam_infos = 4;
  repeated MetricInfo metric_infos = 5;
  string name = 6;
}
message SessionStartInfo {
  map<string, ProtoValue> hparams = 1;
  string model_uri = 2;
  string monitor_url = 3;
  string group_name = 4;
  double start_time_secs = 5;
}
message SessionEndInfo { int32 status = 1; double end_time_secs = 2; }
message HParamsPluginData {
  int32 version = 1;
  oneof data {
    Experiment experiment = 2;
    SessionStartInfo session_start_info = 3;
    SessionEndInfo session_end_info = 4;
  }
}
`;

const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
const type = (name: string) => root.lookupType(`tensorboard.${name}`);

export const EventProto = type('Event');
export const TextPluginDataProto = type('TextPluginData');
export const HParamsPluginDataProto = type('HParamsPluginData');

/** TensorFlow's DataType for strings (DT_STRING). */
export const DT_STRING = 7;
/** hparams api.proto's DataType enum and Status enum values we use. */
export const HPARAM_TYPE = { string: 1, bool: 2, float64: 3 } as const;
export const SESSION_STATUS = { success: 1, failure: 2 } as const;

export interface HistogramValue {
  min: number;
  max: number;
  num: number;
  sum: number;
  sum_squares: number;
  bucket_limit: number[];
  bucket: number[];
}

export interface SummaryValue {
  tag: string;
  metadata?: { plugin_data?: { plugin_name: string; content: Uint8Array }; display_name?: string; summary_description?: string; data_class?: number };
  simple_value?: number;
  histo?: HistogramValue;
  tensor?: { dtype: number; tensor_shape: { dim: { size: number }[] }; string_val: Uint8Array[] };
}

export interface EventMessage {
  wall_time: number;
  step: number;
  file_version?: string;
  summary?: { value: SummaryValue[] };
}

export function encodeEvent(event: EventMessage): Uint8Array {
  return EventProto.encode(EventProto.fromObject(event)).finish();
}

export function decodeEvent(bytes: Uint8Array): EventMessage {
  return EventProto.toObject(EventProto.decode(bytes), { longs: Number, defaults: false }) as EventMessage;
}

/**
 * The stable diagnostic codes of the front end, grouped by phase. Each one is documented with an
 * example in docs/language.md and has a test in test/dsl/diagnostics.test.ts.
 */
export const Code = {
  // Lexing and parsing.
  UnexpectedCharacter: 'E0101',
  SyntaxError: 'E0102',
  IntegerTooLarge: 'E0103',
  NestingTooDeep: 'E0104',
  NoMap: 'E0105',
  UnterminatedString: 'E0106',
  DuplicateHeader: 'E0107',
  UnknownDtype: 'E0108',
  // Constant evaluation.
  UnknownConstant: 'E0201',
  InexactDivision: 'E0202',
  DivisionByZero: 'E0203',
  Overflow: 'E0204',
  NegativeExponent: 'E0205',
  // Names.
  DuplicateName: 'E0301',
  UnknownMap: 'E0302',
  UnknownConstructor: 'E0303',
  ReferenceCycle: 'E0304',
  InvalidName: 'E0305',
  UnknownPattern: 'E0306',
  NameTooLong: 'E0307',
  TooManyMaps: 'E0308',
  // Arguments.
  UnknownArgument: 'E0401',
  MissingArgument: 'E0402',
  DuplicateArgument: 'E0403',
  ArgumentType: 'E0404',
  PositionalArgument: 'E0405',
  ArgumentValue: 'E0406',
  ConflictingArguments: 'E0407',
  // Shapes.
  CannotInfer: 'E0501',
  ShapeMismatch: 'E0502',
  NotDivisible: 'E0503',
  NotAPower: 'E0504',
  NotSquare: 'E0505',
  BiasPlacement: 'E0506',
  OnlyPermutations: 'E0507',
  NonPositiveSize: 'E0508',
  TensorTooLarge: 'E0509',
  NblocksNeeded: 'E0510',
  ParamsTooLarge: 'E0511',
  ExpansionTooLarge: 'E0512',
  ExpansionTooDeep: 'E0513',
  TooManySteps: 'E0514',
  // Sparsity patterns.
  FlatButterflyGrid: 'E0601',
  MaskUnreadable: 'E0602',
  MaskShape: 'E0603',
  MaskValues: 'E0604',
  EmptyPattern: 'E0605',
  GridTooLarge: 'E0606',
  TooManyBlocks: 'E0607',
  // Warnings.
  RankNotSmaller: 'W0501',
} as const;

export type CodeName = keyof typeof Code;

/** The largest integer the language accepts anywhere (sizes index GPU buffers with 32-bit integers). */
export const MAX_INT = 2 ** 31 - 1;

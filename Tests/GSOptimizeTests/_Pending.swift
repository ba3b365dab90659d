// Placeholder until the test target has its first real file; delete it then.
import Testing

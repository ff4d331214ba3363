package dev.fovea.driver;

/** The code version recorded in provenance: the jar's implementation version, else "dev". */
public final class Version {
  private Version() {}

  public static String get() {
    String v = Version.class.getPackage().getImplementationVersion();
    return v != null ? v : "dev";
  }
}

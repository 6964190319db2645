// crosscheck's warm jNeuroML worker: one JVM that runs jNeuroML command lines one after another,
// so that each run pays neither the JVM's start-up nor the loading and JIT compilation of
// jNeuroML's classes. crosscheck compiles this file with the JDK's javac (and chdir.c with cc)
// into its home, starts one worker per CPU slot, and falls back to a cold `java -jar` run for
// any job this worker cannot run exactly as a cold JVM would (see src/jvm/mod.rs).
//
// Protocol, UTF-8 lines on standard input and output:
//   <- ready <what it recorded>       once, when set up
//   -> run <argc>                     then the job's log file, its working folder and argc
//      <log>                          arguments (a line each; crosscheck never sends an argument
//      <dir>                          holding a line break)
//      <arg>...
//   <- done ok [retire]               the main method returned (retire: something of the job
//                                     outlived it, so this JVM should not run another)
//   <- done failed <reason>           the main method threw: the job must run cold
//   -> quit                           (or end of input) the worker exits
// A System.exit inside jNeuroML ends the worker: crosscheck sees its output end and runs the job
// cold. Everything the job prints goes to its log file, never to the protocol.
//
// Arguments: <jar> <main class> <chdir library> <scratch folder>.
//
// Isolation. jLEMS and jNeuroML keep state in static fields (a random generator and its seed,
// counters, include search folders, a cached set of NeuroML component types that exports add
// to, logging state): a second run in the same classes would see the first one's, and at
// least one corpus model then fails. At start-up the worker therefore initialises every class
// of jNeuroML and jLEMS (org.lemsml.*, org.neuroml.*) and records their static fields as the
// initialisers left them (see Statics); after every job it puts them back. Loading those
// classes afresh per job would isolate them by construction, but was measured to cost most of
// what a warm JVM saves (the JIT's work on jLEMS is lost with its classes: 122 against 67
// CPU-seconds for the 56 corpus commands). crosscheck's tests run every jNeuroML command of
// the OMV corpus cold and warm, in one worker, and compare every file written.

import java.io.ByteArrayInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.util.HashSet;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.TimeZone;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.logging.LogManager;

public final class CrosscheckJnmlWorker {
    /** chdir(2), from the small JNI library built beside this class: 0 or the errno. */
    private static native int chdir(String dir);

    /**
     * A JVM cannot change its working folder, and since JDK 11 java.io.File and java.nio.file
     * resolve relative paths against the folder cached at start-up. jLEMS writes its outputs
     * (`results/v.dat`, `report.txt`) relative to the working folder, so a job must run with
     * the process really in its folder (chdir, for the operating system's opens) and with both
     * caches pointing there (for getAbsolutePath and Path.toAbsolutePath).
     */
    private static final class WorkingFolder {
        private final Object ioFileSystem;
        private final Field ioUserDir;
        private final Object nioFileSystem;
        private final Field nioDefaultDirectory;

        WorkingFolder() throws ReflectiveOperationException {
            Field fs = File.class.getDeclaredField("fs");
            fs.setAccessible(true);
            ioFileSystem = fs.get(null);
            ioUserDir = ioFileSystem.getClass().getDeclaredField("userDir");
            ioUserDir.setAccessible(true);
            nioFileSystem = FileSystems.getDefault();
            Class<?> c = nioFileSystem.getClass();
            while (c != null && !c.getName().equals("sun.nio.fs.UnixFileSystem")) {
                c = c.getSuperclass();
            }
            if (c == null) {
                throw new NoSuchFieldException("sun.nio.fs.UnixFileSystem.defaultDirectory");
            }
            nioDefaultDirectory = c.getDeclaredField("defaultDirectory");
            nioDefaultDirectory.setAccessible(true);
        }

        void enter(String dir) throws IOException, IllegalAccessException {
            int errno = chdir(dir);
            if (errno != 0) {
                throw new IOException("cannot change to " + dir + " (errno " + errno + ")");
            }
            ioUserDir.set(ioFileSystem, dir);
            nioDefaultDirectory.set(nioFileSystem, dir.getBytes(StandardCharsets.UTF_8));
            System.setProperty("user.dir", dir);
        }
    }

    /**
     * The one stream System.out and System.err write to, switched to each job's log. A class
     * that kept a reference to System.out during an earlier job still writes to the current
     * job's log, as it would in a fresh JVM.
     */
    private static final class Switch extends OutputStream {
        private OutputStream target = OutputStream.nullOutputStream();

        synchronized void to(OutputStream next) {
            target = next;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            target.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            target.write(b, off, len);
        }

        @Override
        public synchronized void flush() throws IOException {
            target.flush();
        }
    }

    /**
     * The static state of jNeuroML's and jLEMS's classes as their initialisers left it, and
     * how to put it back: a field's value (null, a number, a string, an enum: the singletons
     * jNeuroML creates on first use are null until then); the content of a collection, map or
     * array created by an initialiser, restored in the same object (a reference to it kept
     * elsewhere sees the restored content); and, two levels deep, the fields of objects of
     * jNeuroML's own classes created by an initialiser.
     */
    private static final class Statics {
        private static final int DEPTH = 2;
        private final List<Runnable> restorers = new ArrayList<>();
        private final IdentityHashMap<Object, Boolean> seen = new IdentityHashMap<>();
        int classes;
        int fields;

        static boolean owned(String className) {
            return className.startsWith("org.lemsml.") || className.startsWith("org.neuroml.");
        }

        Statics(String jar, ClassLoader loader) throws IOException {
            try (ZipFile zip = new ZipFile(jar)) {
                for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements();) {
                    String entry = e.nextElement().getName();
                    if (!entry.endsWith(".class") || entry.contains("-")) {
                        continue;
                    }
                    String name = entry.substring(0, entry.length() - 6).replace('/', '.');
                    if (!owned(name)) {
                        continue;
                    }
                    Class<?> c;
                    try {
                        c = Class.forName(name, true, loader);
                    } catch (Throwable t) {
                        continue; // it fails in a fresh JVM too, whenever it is first used
                    }
                    classes++;
                    for (Field f : c.getDeclaredFields()) {
                        if (Modifier.isStatic(f.getModifiers())) {
                            keep(f, null, 0);
                        }
                    }
                }
            }
        }

        void restore() {
            for (Runnable r : restorers) {
                r.run();
            }
        }

        private static boolean immutable(Object v) {
            return v instanceof String || v instanceof Number || v instanceof Boolean
                    || v instanceof Character || v instanceof Enum || v instanceof Class
                    || v instanceof File;
        }

        private void keep(Field f, Object owner, int depth) {
            try {
                f.setAccessible(true);
            } catch (RuntimeException e) {
                return;
            }
            Object value;
            try {
                value = f.get(owner);
            } catch (IllegalAccessException e) {
                return;
            }
            fields++;
            boolean isFinal = Modifier.isFinal(f.getModifiers());
            if (!isFinal) {
                restorers.add(() -> {
                    try {
                        f.set(owner, value);
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
            if (value == null || immutable(value) || seen.put(value, Boolean.TRUE) != null) {
                return;
            }
            if (value instanceof Collection) {
                Collection<Object> live = (Collection<Object>) value;
                List<Object> content = new ArrayList<>(live);
                restorers.add(() -> {
                    try {
                        live.clear();
                        live.addAll(content);
                    } catch (UnsupportedOperationException e) {
                        // unmodifiable: nothing a job can have changed
                    }
                });
            } else if (value instanceof Map) {
                Map<Object, Object> live = (Map<Object, Object>) value;
                List<Map.Entry<Object, Object>> content = new ArrayList<>();
                for (Map.Entry<Object, Object> entry : live.entrySet()) {
                    content.add(new java.util.AbstractMap.SimpleImmutableEntry<>(entry));
                }
                restorers.add(() -> {
                    try {
                        live.clear();
                        for (Map.Entry<Object, Object> entry : content) {
                            live.put(entry.getKey(), entry.getValue());
                        }
                    } catch (UnsupportedOperationException e) {
                        // unmodifiable: nothing a job can have changed
                    }
                });
            } else if (value.getClass().isArray()) {
                int length = java.lang.reflect.Array.getLength(value);
                Object content = java.lang.reflect.Array.newInstance(value.getClass().getComponentType(), length);
                System.arraycopy(value, 0, content, 0, length);
                restorers.add(() -> System.arraycopy(content, 0, value, 0, length));
            } else if (depth < DEPTH && owned(value.getClass().getName())) {
                for (Class<?> c = value.getClass(); c != null && owned(c.getName()); c = c.getSuperclass()) {
                    for (Field inner : c.getDeclaredFields()) {
                        if (!Modifier.isStatic(inner.getModifiers())) {
                            keep(inner, value, depth + 1);
                        }
                    }
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        PrintStream protocol = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        BufferedReader requests = new BufferedReader(
                new InputStreamReader(new FileInputStream(FileDescriptor.in), StandardCharsets.UTF_8));
        if (args.length != 4) {
            protocol.println("unusable expected: <jar> <main class> <chdir library> <scratch folder>");
            System.exit(2);
        }
        long started = System.nanoTime();
        Switch sink = new Switch();
        PrintStream output = new PrintStream(sink, true);
        System.setOut(output);
        System.setErr(output);
        Method jnml;
        WorkingFolder folder;
        Statics statics;
        String scratch = args[3];
        try {
            // What `java -jar <jar>` shows to code that looks for its own jar.
            System.setProperty("java.class.path", args[0]);
            System.load(args[2]);
            folder = new WorkingFolder();
            folder.enter(scratch);
            ClassLoader loader = CrosscheckJnmlWorker.class.getClassLoader();
            jnml = Class.forName(args[1], true, loader).getMethod("main", String[].class);
            statics = new Statics(args[0], loader);
        } catch (Throwable e) {
            protocol.println("unusable " + oneLine(e.toString()));
            System.exit(3);
            return;
        }
        Properties properties = (Properties) System.getProperties().clone();
        Locale locale = Locale.getDefault();
        TimeZone timeZone = TimeZone.getDefault();
        protocol.println("ready " + statics.classes + " classes, " + statics.fields + " fields recorded in "
                + (System.nanoTime() - started) / 1000000 + " ms");

        String line;
        while ((line = requests.readLine()) != null && !line.equals("quit")) {
            if (!line.startsWith("run ")) {
                protocol.println("unusable unknown request: " + oneLine(line));
                System.exit(2);
            }
            int argc = Integer.parseInt(line.substring(4).trim());
            String log = requests.readLine();
            String dir = requests.readLine();
            String[] jnmlArgs = new String[argc];
            for (int i = 0; i < argc; i++) {
                jnmlArgs[i] = requests.readLine();
            }
            if (log == null || dir == null || (argc > 0 && jnmlArgs[argc - 1] == null)) {
                break;
            }
            Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
            String status;
            try (OutputStream file = new BufferedOutputStream(new FileOutputStream(log))) {
                sink.to(file);
                System.setIn(new ByteArrayInputStream(new byte[0]));
                ClassLoader context = Thread.currentThread().getContextClassLoader();
                try {
                    folder.enter(dir);
                    jnml.invoke(null, (Object) jnmlArgs);
                    status = "ok";
                } catch (InvocationTargetException e) {
                    Throwable cause = e.getCause() == null ? e : e.getCause();
                    cause.printStackTrace(output);
                    status = "failed " + oneLine(cause.toString());
                } catch (Throwable e) {
                    e.printStackTrace(output);
                    status = "failed " + oneLine(e.toString());
                }
                // A fresh JVM exits only once the threads the program started (other than
                // daemons) have ended, so their output belongs to the job too.
                boolean outlived = false;
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    if (before.contains(t) || t == Thread.currentThread()) {
                        continue;
                    }
                    if (!t.isDaemon()) {
                        t.join();
                    }
                    outlived |= t.isAlive();
                }
                if (outlived && status.equals("ok")) {
                    status = "ok retire";
                }
                // java.util.logging belongs to the JDK, shared by the jobs: a fresh JVM flushes
                // and closes its handlers at exit (so their lines belong to this job), and the
                // handlers this job added must not print the next job's messages twice.
                try {
                    LogManager.getLogManager().reset();
                    LogManager.getLogManager().readConfiguration();
                } catch (Throwable e) {
                    status = status.startsWith("ok") ? "ok retire" : status;
                }
                Thread.currentThread().setContextClassLoader(context);
                output.flush();
                sink.to(OutputStream.nullOutputStream());
            }
            // What the job changed of jNeuroML's and the JVM's global state does not reach the
            // next one.
            try {
                statics.restore();
            } catch (Throwable e) {
                status = status.startsWith("ok") ? "ok retire" : status;
            }
            System.setProperties((Properties) properties.clone());
            Locale.setDefault(locale);
            TimeZone.setDefault(timeZone);
            try {
                folder.enter(scratch);
            } catch (Throwable e) {
                status = status.startsWith("ok") ? "ok retire" : status;
            }
            protocol.println("done " + status);
        }
        System.exit(0);
    }

    private static String oneLine(String text) {
        return text.replace('\n', ' ').replace('\r', ' ');
    }
}

/* chdir(2) for crosscheck's warm jNeuroML worker (CrosscheckJnmlWorker.java): Java has no way
 * to change a process's working folder, and jLEMS writes its outputs relative to it. */
#include <errno.h>
#include <jni.h>
#include <unistd.h>

JNIEXPORT jint JNICALL Java_CrosscheckJnmlWorker_chdir(JNIEnv *env, jclass cls, jstring dir) {
    (void)cls;
    const char *path = (*env)->GetStringUTFChars(env, dir, NULL);
    if (path == NULL) {
        return ENOMEM;
    }
    int rc = chdir(path);
    int err = errno;
    (*env)->ReleaseStringUTFChars(env, dir, path);
    return rc == 0 ? 0 : err;
}
